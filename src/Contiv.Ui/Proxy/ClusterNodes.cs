using System.Text.Json;

namespace Contiv.Ui.Proxy;

/// <summary>
/// The cluster's node addresses (InternalIP and ExternalIP of every Kubernetes Node): the only addresses
/// <c>/api/contiv</c> forwards to, so the UI cannot be used to reach arbitrary hosts. Listed from the API server and
/// kept for a few seconds, so a page's burst of requests costs one list.
/// </summary>
internal sealed class ClusterNodes(KubeUpstream kube, TimeProvider time, TimeSpan timeout)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(3);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyDictionary<string, string>? _addresses;
    private DateTimeOffset _listedAt;

    /// <summary>Address → node name.</summary>
    public async Task<IReadOnlyDictionary<string, string>> AddressesAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_addresses is not null && time.GetUtcNow() - _listedAt < MaxAge)
            {
                return _addresses;
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kube.Server, "api/v1/nodes"));
            kube.Authorize(request);
            using var response = await kube.Client.SendAsync(request, cts.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"listing the cluster's nodes at {kube.Server}api/v1/nodes: HTTP {(int)response.StatusCode}", null, response.StatusCode);
            }

            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false), default, cts.Token).ConfigureAwait(false);
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var node in doc.RootElement.GetProperty("items").EnumerateArray())
            {
                var name = node.GetProperty("metadata").GetProperty("name").GetString() ?? string.Empty;
                if (node.TryGetProperty("status", out var status) && status.TryGetProperty("addresses", out var addresses))
                {
                    foreach (var a in addresses.EnumerateArray())
                    {
                        var type = a.GetProperty("type").GetString();
                        if ((type is "InternalIP" or "ExternalIP") && a.GetProperty("address").GetString() is { Length: > 0 } ip)
                        {
                            map[ip] = name;
                        }
                    }
                }
            }

            _addresses = map;
            _listedAt = time.GetUtcNow();
            return map;
        }
        finally
        {
            _gate.Release();
        }
    }
}
