using Contiv.Lab.Controllers;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Dns;

/// <summary>
/// Watches every Service and Endpoints object (list + watch through <see cref="Informer{T}"/>) and keeps the
/// current <see cref="ClusterDnsZone"/>; the zone is rebuilt on every change (a lab has few Services), and
/// readers always see a complete zone.
/// </summary>
internal sealed class ServiceDirectory(IKubernetes client, string domain)
{
    private readonly Informer<V1Service> _services = new("services",
        async c => { var l = await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
        (rv, c) => client.CoreV1.WatchListServiceForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));

    private readonly Informer<V1Endpoints> _endpoints = new("endpoints",
        async c => { var l = await client.CoreV1.ListEndpointsForAllNamespacesAsync(cancellationToken: c).ConfigureAwait(false); return (l.Metadata.ResourceVersion, l.Items); },
        (rv, c) => client.CoreV1.WatchListEndpointsForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300, cancellationToken: c));

    private readonly Lock _gate = new();
    private volatile ClusterDnsZone _zone = ClusterDnsZone.Empty(domain);

    /// <summary>The zone as of the latest change.</summary>
    public ClusterDnsZone Zone => _zone;

    /// <summary>Completes once Services and Endpoints were listed once (the zone is complete).</summary>
    public Task Synced => Task.WhenAll(_services.Synced, _endpoints.Synced);

    /// <summary>Watches until cancelled.</summary>
    public Task RunAsync(CancellationToken ct)
    {
        _services.Changed += (_, _) => Rebuild();
        _services.Deleted += _ => Rebuild();
        _endpoints.Changed += (_, _) => Rebuild();
        _endpoints.Deleted += _ => Rebuild();
        return Task.WhenAll(_services.RunAsync(ct), _endpoints.RunAsync(ct), RebuildWhenSyncedAsync());
    }

    private async Task RebuildWhenSyncedAsync()
    {
        await Synced.ConfigureAwait(false);
        Rebuild();
    }

    private void Rebuild()
    {
        lock (_gate)
        {
            _zone = ClusterDnsZone.Build(domain, _services.Items, _endpoints.Items);
        }
    }
}
