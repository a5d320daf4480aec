using System.Text.Json;
using Contiv.Model;
using Contiv.Store;
using Microsoft.Extensions.Logging;

namespace Contiv.Ksr.Sync;

/// <summary>
/// What KSR does after a Kubernetes node is gone (SPEC §1.2): frees the node's ID — deletes the
/// <c>allocatedIDs/{id}</c> entry whose <c>name</c> is the node — and deletes everything under
/// <c>/vnf-agent/{node}/</c>. Runs whenever KSR deletes a node record, from a watch event or from
/// a resync sweep (a node deleted while KSR was down).
/// </summary>
internal sealed partial class NodeCleanup
{
    private readonly IEtcdBroker _store;
    private readonly ILogger _log;

    /// <summary>Creates the cleanup.</summary>
    /// <param name="store">etcd.</param>
    /// <param name="log">Logger.</param>
    public NodeCleanup(IEtcdBroker store, ILogger log)
    {
        _store = store;
        _log = log;
    }

    /// <summary>Cleans up after the node whose record <paramref name="nodeKey"/> was deleted.</summary>
    /// <param name="nodeKey">The deleted key, <c>/vnf-agent/contiv-ksr/k8s/node/{name}</c>.</param>
    /// <param name="ct">Cancels the cleanup.</param>
    /// <returns>Number of keys deleted.</returns>
    public async Task<long> NodeRecordDeletedAsync(string nodeKey, CancellationToken ct)
    {
        if (!nodeKey.StartsWith(Keys.NodePrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{nodeKey}' is not a node key under {Keys.NodePrefix}", nameof(nodeKey));
        }

        var node = nodeKey[Keys.NodePrefix.Length..];
        return await NodeDeletedAsync(node, ct).ConfigureAwait(false);
    }

    /// <summary>Frees the node ID of <paramref name="node"/> and deletes its agent prefix.</summary>
    /// <param name="node">Node name.</param>
    /// <param name="ct">Cancels the cleanup.</param>
    /// <returns>Number of keys deleted.</returns>
    public async Task<long> NodeDeletedAsync(string node, CancellationToken ct)
    {
        if (node.Length == 0 || node.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"node name '{node}' is empty or contains '/'", nameof(node));
        }

        long deleted = 0;
        await foreach (var kv in _store.ListAsync(Keys.VppNodePrefix, ct).ConfigureAwait(false))
        {
            if (string.Equals(AllocatedName(kv.Value), node, StringComparison.Ordinal)
                && (await _store.CompareAndDeleteAsync(kv.Key, kv.ModRevision, ct).ConfigureAwait(false)).Succeeded)
            {
                deleted++;
                LogFreedId(_log, node, kv.Key);
            }
        }

        // The KSR/CRD prefix is nobody's node: never wipe it even if a node has that name.
        if (!string.Equals(node, Keys.KsrLabel, StringComparison.Ordinal))
        {
            var n = await _store.DeletePrefixAsync(Keys.AgentPrefix(node), ct).ConfigureAwait(false);
            deleted += n;
            LogDeletedPrefix(_log, node, Keys.AgentPrefix(node), n);
        }

        return deleted;
    }

    // The VppNode "name" field; null when the value is not readable JSON.
    private static string? AllocatedName(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                ? name.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} deleted: freed its node ID ({Key})")]
    private static partial void LogFreedId(ILogger log, string node, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} deleted: removed {Count} keys under {Prefix}")]
    private static partial void LogDeletedPrefix(ILogger log, string node, string prefix, long count);
}
