using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Contiv.Lab.Lab;

/// <summary>
/// The PKI and credentials of a <c>contiv-lab up --secure</c> lab, generated in C# (no openssl) into
/// <c>/run/contiv-lab/&lt;instance&gt;/tls/</c> (mode 0700): a CA; one certificate for every server
/// on 127.0.0.1 (etcd, the agents' and KSR's REST); one client certificate used by every etcd client
/// (agents, KSR, the API server, the lab's own checks); and the REST user's password file.
/// </summary>
public sealed class LabCertificates
{
    /// <summary>The REST user every secure lab configures.</summary>
    public const string RestUser = "contiv";

    private LabCertificates(string directory) => Directory = directory;

    /// <summary>Where the files are.</summary>
    public string Directory { get; }

    /// <summary>CA certificate (PEM).</summary>
    public string CaFile => Path.Combine(Directory, "ca.pem");

    /// <summary>Server certificate for 127.0.0.1 and localhost (PEM; also usable as a client certificate: etcd's gateway dials itself with it).</summary>
    public string ServerCertFile => Path.Combine(Directory, "server.pem");

    /// <summary>Server key (PEM).</summary>
    public string ServerKeyFile => Path.Combine(Directory, "server-key.pem");

    /// <summary>Client certificate of every etcd client (PEM).</summary>
    public string ClientCertFile => Path.Combine(Directory, "client.pem");

    /// <summary>Client key (PEM).</summary>
    public string ClientKeyFile => Path.Combine(Directory, "client-key.pem");

    /// <summary>First line: the REST password of <see cref="RestUser"/>.</summary>
    public string RestPasswordFile => Path.Combine(Directory, "rest-password");

    /// <summary>The certificates of <paramref name="lab"/> (they exist once <see cref="Create"/> ran).</summary>
    public static LabCertificates Of(LabInstance lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        return new LabCertificates(Path.Combine(lab.StateDir, "tls"));
    }

    /// <summary>The certificates in <paramref name="directory"/>.</summary>
    public static LabCertificates InDirectory(string directory) => new(directory);

    /// <summary>Generates the CA, the certificates and a random REST password for <paramref name="lab"/>.</summary>
    public static LabCertificates Create(LabInstance lab)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the lab needs Linux");
        }

        var certs = Of(lab);
        if (System.IO.Directory.Exists(certs.Directory))
        {
            System.IO.Directory.Delete(certs.Directory, recursive: true);
        }

        System.IO.Directory.CreateDirectory(certs.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=contiv-lab-{lab.Name}-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now, now.AddDays(30));
        Write(certs.CaFile, ca.ExportCertificatePem());
        Issue(ca, "CN=127.0.0.1", server: true, certs.ServerCertFile, certs.ServerKeyFile, now);
        Issue(ca, "CN=contiv-lab-client", server: false, certs.ClientCertFile, certs.ClientKeyFile, now);
        Write(certs.RestPasswordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant() + "\n");
        return certs;
    }

    /// <summary>An HTTP handler trusting only the lab CA and presenting the client certificate (etcd's gateway, REST over HTTPS).</summary>
    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler();
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(CaFile));
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck };
        using var pem = X509Certificate2.CreateFromPemFile(ClientCertFile, ClientKeyFile);
        handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        return handler;
    }

    /// <summary>The basic auth header of the REST user.</summary>
    public AuthenticationHeaderValue RestAuthorization()
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RestUser}:{File.ReadLines(RestPasswordFile).First()}")));

    private static void Issue(X509Certificate2 ca, string subject, bool server, string certFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        // The server certificate is a client one too: etcd's HTTP gateway dials etcd's own gRPC port with it.
        OidCollection usages = server ? [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")] : [new Oid("1.3.6.1.5.5.7.3.2")];
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var cert = request.Create(ca, now, now.AddDays(30), serial);
        Write(certFile, cert.ExportCertificatePem());
        Write(keyFile, key.ExportPkcs8PrivateKeyPem());
    }

    private static void Write(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
