using Contiv.Model;
using Contiv.Store;
using CrdNodeConfigRecord = Contiv.Model.Crd.NodeConfig;

namespace Contiv.Agent.Config;

/// <summary>
/// The NodeConfig CRD's part in this node's configuration (SPEC §1.4, §7): with
/// <c>crdNodeConfigurationDisabled: false</c> the record contiv-crd mirrors into
/// <c>/vnf-agent/contiv-ksr/k8s/nodeconfig/{node}</c> replaces the node's <c>nodeConfig[]</c> entry of
/// contiv.conf. The agent reads it once at start; <see cref="WatchAsync"/> reports a later change, on
/// which the agent restarts (its settings are fixed for a run, like contiv.conf's).
/// </summary>
internal static class CrdNodeConfig
{
    /// <summary>The node's record in etcd, or null when there is none or etcd does not answer within <paramref name="timeout"/>.</summary>
    /// <param name="store">etcd.</param>
    /// <param name="nodeName">This node.</param>
    /// <param name="timeout">How long to wait for etcd.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The record and whether etcd answered.</returns>
    public static async Task<(CrdNodeConfigRecord? Record, bool Answered)> ReadAsync(IEtcdBroker store, string nodeName, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            var kv = await store.GetAsync(Keys.NodeConfig(nodeName), cts.Token).ConfigureAwait(false);
            return (kv is null ? null : Parse(kv.Value), true);
        }
        catch (Exception e) when (e is OperationCanceledException or StoreException && !ct.IsCancellationRequested)
        {
            return (null, false);
        }
    }

    /// <summary>
    /// Waits until the node's record differs from <paramref name="applied"/> (created, changed or
    /// deleted), then returns the new one. Unreadable values count as absent.
    /// </summary>
    /// <param name="store">etcd.</param>
    /// <param name="nodeName">This node.</param>
    /// <param name="applied">The record this run uses (null: none).</param>
    /// <param name="ct">Stops the watch.</param>
    /// <returns>The new record (null: deleted).</returns>
    public static async Task<CrdNodeConfigRecord?> WatchAsync(IEtcdBroker store, string nodeName, CrdNodeConfigRecord? applied, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = Keys.NodeConfig(nodeName);
        await foreach (var _ in store.SyncAsync(key, ct).ConfigureAwait(false))
        {
            // SyncAsync covers the prefix: node-1 would also see node-10.
            var current = await store.GetAsync(key, ct).ConfigureAwait(false);
            var record = current is null ? null : Parse(current.Value);
            if (!Equals(record, applied))
            {
                return record;
            }
        }

        throw new OperationCanceledException(ct);
    }

    /// <summary>
    /// <paramref name="config"/> with this node's <c>nodeConfig[]</c> entry replaced by the CRD's
    /// (added when the file has none); unchanged when <paramref name="record"/> is null.
    /// </summary>
    /// <param name="config">contiv.conf.</param>
    /// <param name="nodeName">This node.</param>
    /// <param name="record">The CRD's record.</param>
    public static ContivConfig Apply(ContivConfig config, string nodeName, CrdNodeConfigRecord? record)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (record is null)
        {
            return config;
        }

        config.NodeConfig.RemoveAll(n => string.Equals(n.NodeName, nodeName, StringComparison.Ordinal));
        config.NodeConfig.Add(new NodeConfigEntry
        {
            NodeName = nodeName,
            MainVppInterface = record.MainVppInterface is { } main ? Interface(main) : null,
            OtherVppInterfaces = record.OtherVppInterfaces.Select(Interface).ToList(),
            StealInterface = record.StealInterface,
            Gateway = record.Gateway,
            NatExternalTraffic = record.NatExternalTraffic,
        });
        return config;
    }

    private static InterfaceConfig Interface(CrdNodeConfigRecord.Types.InterfaceConfig i) =>
        new() { InterfaceName = i.InterfaceName, Ip = i.Ip, UseDhcp = i.UseDhcp };

    private static CrdNodeConfigRecord? Parse(string json)
    {
        try
        {
            return ProtoJson.Parse<CrdNodeConfigRecord>(json);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
