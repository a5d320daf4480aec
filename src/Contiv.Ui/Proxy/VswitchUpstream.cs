using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Contiv.Ui.Config;

namespace Contiv.Ui.Proxy;

/// <summary>
/// How the UI reaches a node's agent REST API (<c>contivPort</c>, HTTPS, basic auth, CA from the config), and which
/// URL serves a node address (<c>vswitchEndpoints</c> overrides, else <c>&lt;scheme&gt;://&lt;ip&gt;:contivPort</c>).
/// </summary>
internal sealed class VswitchUpstream : IDisposable
{
    private readonly UiConfig _config;
    private readonly VswitchEndpointsSource _endpoints;
    private readonly AuthenticationHeaderValue? _auth;

    /// <summary>Builds the client for <paramref name="config"/>; <paramref name="endpoints"/> gives the current overrides.</summary>
    public VswitchUpstream(UiConfig config, VswitchEndpointsSource endpoints)
    {
        _config = config;
        _endpoints = endpoints;
        var handler = new SocketsHttpHandler { ConnectTimeout = config.UpstreamTimeout };
        if (config.ContivInsecureSkipVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (config.ContivCa is { } caFile)
        {
            var cas = new X509Certificate2Collection();
            cas.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => KubeUpstream.ChainsTo(cert, cas, errors);
        }

        Client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (config.ContivBasicAuthUser is { } user)
        {
            _auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{config.ContivBasicAuthPass}")));
        }
    }

    /// <summary>The client (timeouts are set per request by the caller).</summary>
    public HttpClient Client { get; }

    /// <summary>The agent REST base URL of the node with address <paramref name="ip"/>.</summary>
    public Uri BaseOf(string ip)
    {
        if (_endpoints.Current.TryGetValue(ip, out var url))
        {
            return new Uri(url.TrimEnd('/') + "/");
        }

        var host = ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip;
        return new Uri($"{(_config.ContivHttpsEnabled ? "https" : "http")}://{host}:{_config.ContivPort}/");
    }

    /// <summary>Adds the agent credentials, if configured.</summary>
    public void Authorize(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = _auth;
    }

    /// <inheritdoc/>
    public void Dispose() => Client.Dispose();
}
