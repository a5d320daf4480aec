using Contiv.Store;
using Contiv.Telemetry.Collection;

namespace Contiv.Netctl;

/// <summary>One command's connections: etcd (node names, pods) and the agents' REST client.</summary>
internal sealed class NetctlSession : IAsyncDisposable
{
    private readonly EtcdBroker _etcd;
    private ClusterSnapshot? _snapshot;

    public NetctlSession(EtcdBrokerOptions etcd, AgentClientOptions agents)
    {
        EtcdEndpoints = string.Join(",", etcd.Endpoints);
        _etcd = new EtcdBroker(etcd);
        Agents = new AgentClient(agents);
        Collector = new ClusterCollector(_etcd, Agents);
    }

    public string EtcdEndpoints { get; }

    public IEtcdBroker Etcd => _etcd;

    public AgentClient Agents { get; }

    public ClusterCollector Collector { get; }

    /// <summary>The etcd records (read once per command); etcd failures become a message naming the endpoint.</summary>
    public async Task<ClusterSnapshot> SnapshotAsync(CancellationToken ct)
    {
        if (_snapshot is not null)
        {
            return _snapshot;
        }

        try
        {
            _snapshot = await Collector.ReadEtcdAsync(ct).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw new NetctlException($"etcd at {EtcdEndpoints} unreachable: {e.Message}", e);
        }

        if (_snapshot.Nodes.Count == 0)
        {
            throw new NetctlException($"no Contiv nodes in etcd at {EtcdEndpoints} (no {Model.Keys.VppNodePrefix} records)");
        }

        return _snapshot;
    }

    /// <summary>The named node; fails naming it and the known nodes.</summary>
    public async Task<NodeTelemetry> NodeAsync(string name, CancellationToken ct)
    {
        var snapshot = await SnapshotAsync(ct).ConfigureAwait(false);
        return snapshot.Find(name)
            ?? throw new NetctlException($"unknown node '{name}': etcd at {EtcdEndpoints} knows {string.Join(", ", snapshot.Nodes.Select(n => n.Name))}");
    }

    /// <summary>The node's agent URL; fails when it is unknown.</summary>
    public static string UrlOf(NodeTelemetry node)
        => node.AgentUrl.Length > 0 ? node.AgentUrl : throw new NetctlException($"node {node.Name}: no management IP and no agent endpoint known (set --agent-endpoints)");

    /// <summary>Calls a node's agent; an unreachable agent becomes a message naming the node and the URL.</summary>
    public static async Task<T> OnNodeAsync<T>(NodeTelemetry node, Func<string, Task<T>> call)
    {
        var url = UrlOf(node);
        try
        {
            return await call(url).ConfigureAwait(false);
        }
        catch (AgentUnreachableException e)
        {
            throw new NetctlException($"node {node.Name}: {e.Message}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Agents.Dispose();
        await _etcd.DisposeAsync().ConfigureAwait(false);
    }
}
