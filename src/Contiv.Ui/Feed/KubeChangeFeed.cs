using System.Text.Json;
using System.Threading.Channels;
using Contiv.Ui.Proxy;

namespace Contiv.Ui.Feed;

/// <summary>
/// Watches the Kubernetes resources the page shows (one list + watch per resource, re-listed after 410 Gone or a
/// broken stream) and hands every change to each subscriber — the page's Server-Sent Events stream — so the page
/// re-reads only what changed instead of polling. A slow subscriber loses its oldest changes, never blocks the others.
/// </summary>
internal sealed class KubeChangeFeed(KubeUpstream kube, ILogger<KubeChangeFeed> log) : BackgroundService
{
    /// <summary>Resource → API path.</summary>
    public static readonly IReadOnlyDictionary<string, string> Resources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["nodes"] = "api/v1/nodes",
        ["pods"] = "api/v1/pods",
        ["services"] = "api/v1/services",
        ["endpoints"] = "api/v1/endpoints",
        ["namespaces"] = "api/v1/namespaces",
        ["networkpolicies"] = "apis/networking.k8s.io/v1/networkpolicies",
    };

    private readonly Lock _lock = new();
    private readonly List<Channel<KubeChange>> _subscribers = [];

    /// <summary>A new subscription; dispose it to unsubscribe.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<KubeChange>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            _subscribers.Add(channel);
        }

        return new Subscription(this, channel);
    }

    /// <inheritdoc/>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(Resources.Select(r => WatchAsync(r.Key, r.Value, stoppingToken)));

    private void Publish(KubeChange change)
    {
        lock (_lock)
        {
            foreach (var s in _subscribers)
            {
                s.Writer.TryWrite(change);
            }
        }
    }

    private async Task WatchAsync(string kind, string path, CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(1);
        var first = true;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var version = await ListVersionAsync(path, ct).ConfigureAwait(false);
                if (version is null)
                {
                    log.LogInformation("the API server does not serve {Path}: no live updates for {Kind}", path, kind);
                    return;
                }

                if (!first)
                {
                    Publish(new KubeChange(kind, "RESYNC", null, null));
                }

                first = false;
                delay = TimeSpan.FromSeconds(1);
                await StreamAsync(kind, $"{path}?watch=1&allowWatchBookmarks=false&resourceVersion={Uri.EscapeDataString(version)}", ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or OperationCanceledException or KeyNotFoundException or InvalidOperationException)
            {
                log.LogWarning("watch of {Kind} at {Server}{Path}: {Error}; re-listing in {Delay}", kind, kube.Server, path, e.Message, delay);
            }

            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
        }
    }

    private async Task<string?> ListVersionAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kube.Server, path + "?limit=1"));
        kube.Authorize(request);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        using var response = await kube.Client.SendAsync(request, cts.Token).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false), default, cts.Token).ConfigureAwait(false);
        return doc.RootElement.GetProperty("metadata").TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "0" : "0";
    }

    private async Task StreamAsync(string kind, string pathAndQuery, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kube.Server, pathAndQuery));
        kube.Authorize(request);
        using var response = await kube.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var type = doc.RootElement.GetProperty("type").GetString() ?? string.Empty;
            var obj = doc.RootElement.GetProperty("object");
            if (type == "ERROR")
            {
                // 410 Gone and friends: the version is too old; re-list.
                throw new InvalidOperationException($"watch error: {obj.GetRawText()}");
            }

            if (type == "BOOKMARK")
            {
                continue;
            }

            var meta = obj.GetProperty("metadata");
            Publish(new KubeChange(kind, type,
                meta.TryGetProperty("namespace", out var ns) ? ns.GetString() : null,
                meta.TryGetProperty("name", out var n) ? n.GetString() : null));
        }
    }

    /// <summary>One subscriber's stream of changes.</summary>
    internal sealed class Subscription(KubeChangeFeed feed, Channel<KubeChange> channel) : IDisposable
    {
        /// <summary>The changes, oldest first.</summary>
        public ChannelReader<KubeChange> Changes => channel.Reader;

        /// <inheritdoc/>
        public void Dispose()
        {
            lock (feed._lock)
            {
                feed._subscribers.Remove(channel);
            }

            channel.Writer.TryComplete();
        }
    }
}
