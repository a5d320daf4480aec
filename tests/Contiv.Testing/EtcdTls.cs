using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Contiv.Testing;

/// <summary>
/// A throw-away PKI for TLS tests against <see cref="EtcdServer"/>: a CA, a server certificate for
/// 127.0.0.1/localhost and a client certificate, written as PEM files into a directory.
/// </summary>
/// <param name="Directory">Where the files are.</param>
public sealed record EtcdTls(string Directory)
{
    /// <summary>CA certificate (PEM).</summary>
    public string CaFile => Path.Combine(Directory, "ca.pem");

    /// <summary>Server certificate (PEM), SANs 127.0.0.1 and localhost.</summary>
    public string ServerCertFile => Path.Combine(Directory, "server.pem");

    /// <summary>Server private key (PEM).</summary>
    public string ServerKeyFile => Path.Combine(Directory, "server-key.pem");

    /// <summary>Client certificate (PEM), CN <c>contiv-test-client</c>.</summary>
    public string ClientCertFile => Path.Combine(Directory, "client.pem");

    /// <summary>Client private key (PEM).</summary>
    public string ClientKeyFile => Path.Combine(Directory, "client-key.pem");

    /// <summary>A second, unrelated CA (PEM): a client trusting only it must reject the server.</summary>
    public string OtherCaFile => Path.Combine(Directory, "other-ca.pem");

    /// <summary>Creates the CA and certificates in <paramref name="directory"/> (created if missing).</summary>
    public static EtcdTls Create(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var tls = new EtcdTls(directory);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=contiv-test-ca", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caReq.PublicKey, false));
        using var ca = caReq.CreateSelfSigned(now, now.AddDays(2));
        File.WriteAllText(tls.CaFile, ca.ExportCertificatePem());

        Issue(ca, "CN=127.0.0.1", serverAuth: true, tls.ServerCertFile, tls.ServerKeyFile, now);
        Issue(ca, "CN=contiv-test-client", serverAuth: false, tls.ClientCertFile, tls.ClientKeyFile, now);

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherReq = new CertificateRequest("CN=contiv-other-ca", otherKey, HashAlgorithmName.SHA256);
        otherReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var other = otherReq.CreateSelfSigned(now, now.AddDays(2));
        File.WriteAllText(tls.OtherCaFile, other.ExportCertificatePem());
        return tls;
    }

    private static void Issue(X509Certificate2 ca, string subject, bool serverAuth, string certFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        // The server certificate also needs clientAuth: etcd's HTTP gateway dials etcd's own gRPC
        // port with it, and --client-cert-auth checks that.
        OidCollection usages = serverAuth ? [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")] : [new Oid("1.3.6.1.5.5.7.3.2")];
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var cert = req.Create(ca, now, now.AddDays(1), serial);
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
