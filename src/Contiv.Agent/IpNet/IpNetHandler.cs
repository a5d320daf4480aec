using System.Net.Sockets;
using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.IpNet;

/// <summary>
/// ipnet (SPEC §1.6.7): puts the node, remote-node and pod configuration of <see cref="IpNetConfig"/>
/// into transactions — all of it on resync, the difference on AddPod / DeletePod / NodeUpdate.
/// </summary>
internal sealed class IpNetHandler(AgentContext ctx, LinuxNamespaces linux, PodStateStore store, ILogger log) : IEventHandler
{
    private readonly HashSet<PodId> _allocatedByAdd = [];

    /// <inheritdoc/>
    public string Name => "ipnet";

    /// <inheritdoc/>
    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update || ev is AddPod or DeletePod or NodeUpdate;

    /// <inheritdoc/>
    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        foreach (var (k, v) in IpNetConfig.NodeItems(ctx, HostIps()))
        {
            txn.Put(k, v);
        }

        foreach (var n in ctx.Nodes.Values)
        {
            foreach (var (k, v) in IpNetConfig.RemoteNodeItems(ctx, n))
            {
                txn.Put(k, v);
            }
        }

        var bd = IpNetConfig.BridgeDomain(ctx, ctx.Nodes.Values);
        txn.Put(bd.Key, bd.Value);
        foreach (var (id, pod) in ctx.LocalPods.ToList())
        {
            var withIp = pod;
            if (pod.IpAddress.Length == 0)
            {
                withIp = pod with { IpAddress = ctx.Allocator!.Allocate(id).ToString() };
                ctx.LocalPods[id] = withIp;
            }

            foreach (var (k, v) in IpNetConfig.PodItems(ctx, withIp))
            {
                txn.Put(k, v);
            }
        }

        store.Save(ctx.LocalPods.Values);
    }

    /// <inheritdoc/>
    public string Update(AgentEvent ev, IUpdateOperations txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        switch (ev)
        {
            case AddPod add:
                {
                    var alloc = ctx.Allocator ?? throw new InvalidOperationException("IPAM is not initialized (no startup resync yet)");
                    var existed = alloc.Find(add.Pod) is not null;
                    var ip = alloc.Allocate(add.Pod);
                    if (!existed)
                    {
                        _allocatedByAdd.Add(add.Pod);
                    }

                    var pod = ctx.LocalPods[add.Pod] with { IpAddress = ip.ToString() };
                    ctx.LocalPods[add.Pod] = pod;
                    foreach (var (k, v) in IpNetConfig.PodItems(ctx, pod))
                    {
                        txn.Put(k, v);
                    }

                    add.PodIp = ip.ToString();
                    add.Gateway = ctx.RequireAddressing().PodGateway.ToString();
                    store.Save(ctx.LocalPods.Values);
                    return $"pod {add.Pod} gets {ip}";
                }

            case DeletePod del:
                {
                    if (!ctx.LocalPods.TryGetValue(del.Pod, out var pod) || pod.IpAddress.Length == 0)
                    {
                        // A retried Delete: the pod is forgotten, but an earlier failed Delete may have left its TAP
                        // (deleting an item that is not applied does nothing).
                        if (del.ContainerId.Length > 0)
                        {
                            txn.Delete(Dataplane.VppKeys.Interface(IpNetConfig.PodTapName(del.ContainerId)));
                        }

                        return string.Empty;
                    }

                    foreach (var (k, _) in IpNetConfig.PodItems(ctx, pod))
                    {
                        txn.Delete(k);
                    }

                    return $"pod {del.Pod} ({pod.IpAddress}) unwired";
                }

            case NodeUpdate nu:
                {
                    if (nu.PrevState is not null)
                    {
                        foreach (var (k, _) in IpNetConfig.RemoteNodeItems(ctx, nu.PrevState))
                        {
                            txn.Delete(k);
                        }
                    }

                    if (nu.NewState is not null)
                    {
                        foreach (var (k, v) in IpNetConfig.RemoteNodeItems(ctx, nu.NewState))
                        {
                            txn.Put(k, v);
                        }
                    }

                    var bd = IpNetConfig.BridgeDomain(ctx, ctx.Nodes.Values);
                    txn.Put(bd.Key, bd.Value);
                    return $"connectivity to node {nu.NodeName} updated";
                }

            default:
                return string.Empty;
        }
    }

    /// <inheritdoc/>
    public void Revert(AgentEvent ev)
    {
        if (ev is AddPod add)
        {
            if (_allocatedByAdd.Remove(add.Pod))
            {
                ctx.Allocator?.Release(add.Pod);
            }

            if (ctx.LocalPods.TryGetValue(add.Pod, out var p) && p.ContainerId == add.ContainerId)
            {
                ctx.LocalPods[add.Pod] = p with { IpAddress = string.Empty };
            }
        }
    }

    /// <summary>IPv4 addresses on host interfaces (except loopback and the interconnect), routed from VRF 0 to the host.</summary>
    internal List<string> HostIps()
    {
        try
        {
            var hostSubnet = ctx.RequireAddressing().HostSubnetThisNode;
            return linux.With(string.Empty, nl => nl.GetAddresses(family: AddressFamily.InterNetwork)
                .Select(a => a.Address.ToString())
                .Where(ip => !ip.StartsWith("127.", StringComparison.Ordinal)
                    && !(Contiv.Linux.Ip4.TryParse(ip, out var v) && hostSubnet.Contains(v)))
                .ToList());
        }
        catch (Exception e) when (e is Contiv.Linux.NetlinkException or IOException)
        {
            log.LogWarning("cannot list host addresses: {Error}", e.Message);
            return [];
        }
    }
}
