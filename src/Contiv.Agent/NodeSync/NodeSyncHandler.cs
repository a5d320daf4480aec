using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;
using Contiv.Agent.Kube;
using Contiv.Model;
using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;
using Contiv.Store;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.NodeSync;

/// <summary>
/// nodesync (SPEC §1.6.3): allocates this node's ID (first free ID ≥ 1 by atomic create under
/// <c>allocatedIDs/</c>), publishes this node's VppNode with its IPs, and turns changes of other nodes
/// into <see cref="NodeUpdate"/> follow-up events.
/// </summary>
/// <param name="ctx">This node's state.</param>
/// <param name="broker">etcd.</param>
/// <param name="pushFollowUp">Queues a follow-up event.</param>
/// <param name="log">Logger.</param>
/// <param name="time">Clock of the pause between failed node ID allocation attempts (null: the system clock).</param>
internal sealed class NodeSyncHandler(AgentContext ctx, IEtcdBroker broker, Action<AgentEvent> pushFollowUp, ILogger log, TimeProvider? time = null) : IEventHandler
{
    private const int MaxAllocationAttempts = 10;
    private static readonly TimeSpan AllocationRetryPause = TimeSpan.FromMilliseconds(200);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc/>
    public string Name => "nodesync";

    /// <inheritdoc/>
    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update
        || ev is KubeStateChange { Resource: KubeResources.VppNode or KubeResources.Node };

    /// <inheritdoc/>
    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        ArgumentNullException.ThrowIfNull(kubeState);
        ctx.Nodes.Clear();
        foreach (var n in BuildNodes(kubeState))
        {
            ctx.Nodes[n.Name] = n;
        }

        if (!ctx.Nodes.TryGetValue(ctx.NodeName, out var self) || self.Id == 0)
        {
            var id = AllocateId();
            ctx.Nodes[ctx.NodeName] = (self ?? new NodeInfo(ctx.NodeName, 0, [], [], string.Empty)) with { Id = id };
        }
        else if (ctx.NodeId != 0 && ctx.NodeId != self.Id)
        {
            throw new FatalEventException($"node {ctx.NodeName}: node ID changed from {ctx.NodeId} to {self.Id} while running; restart the agent");
        }

        var nodeId = ctx.Nodes[ctx.NodeName].Id;
        if (ctx.NodeId != nodeId)
        {
            ctx.NodeId = nodeId;
            ctx.Addressing = new NodeAddressing(ctx.Settings.Subnets, nodeId);
            log.LogInformation("node {Node} has ID {Id}; pod subnet {PodSubnet}", ctx.NodeName, nodeId, ctx.Addressing.PodSubnetThisNode);
        }

        ctx.NodeIp = ctx.Stn is { } stn ? (stn.NodeIp.Address, stn.NodeIp.Length)
            : ctx.Settings.MainInterfaceIp ?? (ctx.Settings.Subnets.NodeInterconnectCidr is null ? null : ctx.Addressing!.NodeIpOf(nodeId));
        PublishNodeIps();
    }

    /// <inheritdoc/>
    public string Update(AgentEvent ev, IUpdateOperations txn)
    {
        if (ev is not KubeStateChange change)
        {
            return string.Empty;
        }

        // The event loop has applied the change to its cache already; recompute the affected node.
        var name = change.Resource == KubeResources.VppNode
            ? ((change.NewValue ?? change.PrevValue) as VppNode)?.Name
            : ((change.NewValue ?? change.PrevValue) as Node)?.Name;
        if (string.IsNullOrEmpty(name))
        {
            return string.Empty;
        }

        return Recompute(name, change);
    }

    /// <inheritdoc/>
    public void Revert(AgentEvent ev)
    {
    }

    /// <summary>Builds node records from the vppnode and node resources.</summary>
    public static IEnumerable<NodeInfo> BuildNodes(KubeStateData kubeState)
    {
        ArgumentNullException.ThrowIfNull(kubeState);
        var byName = new Dictionary<string, NodeInfo>(StringComparer.Ordinal);
        foreach (var v in kubeState[KubeResources.VppNode].Values.OfType<VppNode>())
        {
            if (string.IsNullOrEmpty(v.Name))
            {
                continue;
            }

            var ips = v.IpAddresses.ToList();
            if (v.IpAddress.Length > 0 && !ips.Contains(v.IpAddress))
            {
                ips.Add(v.IpAddress);
            }

            byName[v.Name] = new NodeInfo(v.Name, v.Id, ips, [], string.Empty);
        }

        foreach (var n in kubeState[KubeResources.Node].Values.OfType<Node>())
        {
            var mgmt = n.Addresses
                .Where(a => a.Type is NodeAddress.Types.AddressType.NodeInternalIp or NodeAddress.Types.AddressType.NodeExternalIp)
                .Select(a => a.Address).Where(a => a.Length > 0).ToList();
            byName[n.Name] = byName.TryGetValue(n.Name, out var existing)
                ? existing with { MgmtIps = mgmt, PodCidr = n.PodCIDR }
                : new NodeInfo(n.Name, 0, [], mgmt, n.PodCIDR);
        }

        return byName.Values;
    }

    private string Recompute(string name, KubeStateChange change)
    {
        // Build only this node from the current cache.
        var state = new KubeStateData();
        foreach (var resource in new[] { KubeResources.VppNode, KubeResources.Node })
        {
            foreach (var (k, v) in CurrentItems(resource))
            {
                if ((v as VppNode)?.Name == name || (v as Node)?.Name == name)
                {
                    state.Set(resource, k, v);
                }
            }
        }

        var next = BuildNodes(state).FirstOrDefault();
        ctx.Nodes.TryGetValue(name, out var prev);
        if (next is null)
        {
            ctx.Nodes.Remove(name);
        }
        else
        {
            ctx.Nodes[name] = next;
        }

        // Only nodes with an ID take part in the mesh.
        var before = prev?.Id > 0 ? prev : null;
        var after = next?.Id > 0 ? next : null;
        if (name == ctx.NodeName || (before is null && after is null) || (before is not null && before.SameAs(after)))
        {
            return string.Empty;
        }

        pushFollowUp(new NodeUpdate(name, before, after));
        return $"node {name} changed";
    }

    private Func<string, IReadOnlyDictionary<string, IMessage>> _items = _ => new Dictionary<string, IMessage>();

    /// <summary>Gives the handler read access to the event loop's Kubernetes state cache.</summary>
    public void UseKubeState(Func<KubeStateData> state) => _items = resource => state()[resource];

    private IReadOnlyDictionary<string, IMessage> CurrentItems(string resource) => _items(resource);

    private uint AllocateId()
    {
        for (var attempt = 1; attempt <= MaxAllocationAttempts; attempt++)
        {
            try
            {
                var taken = new HashSet<uint>();
                foreach (var kv in Task.Run(() => ListVppNodes()).GetAwaiter().GetResult())
                {
                    if (kv.Name == ctx.NodeName && kv.Id != 0)
                    {
                        return kv.Id; // allocated earlier, not yet seen by the watcher
                    }

                    taken.Add(kv.Id);
                }

                uint id = 1;
                while (taken.Contains(id))
                {
                    id++;
                }

                var node = new VppNode { Id = id, Name = ctx.NodeName };
                var r = broker.PutProtoIfAbsentAsync(Keys.VppNode(id), node).GetAwaiter().GetResult();
                if (r.Succeeded)
                {
                    log.LogInformation("node {Node} allocated node ID {Id}", ctx.NodeName, id);
                    return id;
                }

                log.LogInformation("node ID {Id} was taken concurrently; retrying ({Attempt}/{Max})", id, attempt, MaxAllocationAttempts);
            }
            catch (Exception e) when (e is not OutOfMemoryException and not FatalEventException)
            {
                log.LogWarning("node ID allocation attempt {Attempt} failed: {Error}", attempt, e.Message);
                // On the event loop thread, which has nothing else to do until the node has an ID.
                Task.Delay(AllocationRetryPause, _time).GetAwaiter().GetResult();
            }
        }

        throw new FatalEventException($"node {ctx.NodeName}: could not allocate a node ID under {Keys.VppNodePrefix} in {MaxAllocationAttempts} attempts");
    }

    private async Task<List<VppNode>> ListVppNodes()
    {
        var list = new List<VppNode>();
        await foreach (var n in broker.ListProtoAsync<VppNode>(Keys.VppNodePrefix).ConfigureAwait(false))
        {
            list.Add(n.Value);
        }

        return list;
    }

    private void PublishNodeIps()
    {
        var ips = ctx.NodeIp is { } ip ? new[] { $"{ip.Address}/{ip.Length}" } : [];
        var self = ctx.Nodes[ctx.NodeName];
        if (self.VppIps.SequenceEqual(ips))
        {
            return;
        }

        var node = new VppNode { Id = ctx.NodeId, Name = ctx.NodeName, IpAddresses = { ips } };
        try
        {
            broker.PutProtoAsync(Keys.VppNode(ctx.NodeId), node).GetAwaiter().GetResult();
            ctx.Nodes[ctx.NodeName] = self with { VppIps = ips };
            log.LogInformation("published VppNode {Node}: ID {Id}, IPs {Ips}", ctx.NodeName, ctx.NodeId, string.Join(",", ips));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"node {ctx.NodeName}: publishing VppNode {Keys.VppNode(ctx.NodeId)} failed: {e.Message}", e);
        }
    }
}
