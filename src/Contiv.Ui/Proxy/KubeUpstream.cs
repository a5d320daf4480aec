using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using k8s;

namespace Contiv.Ui.Proxy;

/// <summary>
/// Where and how the UI reaches the Kubernetes API: the kubeconfig's current context (server, CA, client certificate
/// or token), or in a pod the service account (<c>$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT_HTTPS</c>, its
/// bearer token and CA, SPEC §1.9). Owns the <see cref="HttpClient"/>; the token is re-read per request from the
/// service account file, since kubelet rotates it.
/// </summary>
internal sealed class KubeUpstream : IDisposable
{
    private const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
    private readonly string? _staticToken;
    private readonly string? _tokenFile;

    private KubeUpstream(Uri server, HttpMessageHandler handler, string? token, string? tokenFile)
    {
        Server = server;
        Client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _staticToken = token;
        _tokenFile = tokenFile;
    }

    /// <summary>The API server's base URL.</summary>
    public Uri Server { get; }

    /// <summary>The client (timeouts are set per request by the caller).</summary>
    public HttpClient Client { get; }

    /// <summary>From a kubeconfig file (its current context).</summary>
    public static KubeUpstream FromKubeconfig(string path)
    {
        KubernetesClientConfiguration k;
        try
        {
            k = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or YamlDotNet.Core.YamlException)
        {
            throw new ArgumentException($"kubeconfig {path}: {e.Message}", e);
        }

        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        if (k.SkipTlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (k.SslCaCerts is { Count: > 0 } cas)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => ChainsTo(cert, cas, errors);
        }

        if (!string.IsNullOrEmpty(k.ClientCertificateData) || !string.IsNullOrEmpty(k.ClientCertificateFilePath))
        {
            handler.SslOptions.ClientCertificates = [ClientCertificate(k)];
        }

        return new KubeUpstream(new Uri(k.Host.TrimEnd('/') + "/"), handler, k.AccessToken, null);
    }

    /// <summary>In a pod: the service account's token and CA.</summary>
    public static KubeUpstream InCluster()
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT_HTTPS") ?? Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new ArgumentException("no kubeconfig given and not in a pod ($KUBERNETES_SERVICE_HOST is not set): set 'kubeconfig' in the config or --kubeconfig");
        }

        var caFile = Path.Combine(ServiceAccountDir, "ca.crt");
        var handler = new SocketsHttpHandler();
        if (File.Exists(caFile))
        {
            var cas = new X509Certificate2Collection();
            cas.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => ChainsTo(cert, cas, errors);
        }

        var hostPart = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        return new KubeUpstream(new Uri($"https://{hostPart}:{port}/"), handler, null, Path.Combine(ServiceAccountDir, "token"));
    }

    private static X509Certificate2 ClientCertificate(KubernetesClientConfiguration k)
    {
        static string Pem(string? data, string? file) => !string.IsNullOrEmpty(data)
            ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data))
            : File.ReadAllText(file ?? throw new ArgumentException("kubeconfig: client certificate without key"));
        using var pem = X509Certificate2.CreateFromPem(Pem(k.ClientCertificateData, k.ClientCertificateFilePath), Pem(k.ClientCertificateKeyData, k.ClientKeyFilePath));
        // Re-imported: TLS client authentication needs a key that is not ephemeral.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Adds the bearer token, if any, to <paramref name="request"/>.</summary>
    public void Authorize(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var token = _tokenFile is not null && File.Exists(_tokenFile) ? File.ReadAllText(_tokenFile).Trim() : _staticToken;
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Client.Dispose();

    internal static bool ChainsTo(X509Certificate? certificate, X509Certificate2Collection cas, System.Net.Security.SslPolicyErrors errors)
    {
        if (errors == System.Net.Security.SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var cert = new X509Certificate2(certificate);
        return chain.Build(cert);
    }
}
