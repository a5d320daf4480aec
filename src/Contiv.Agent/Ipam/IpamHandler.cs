using Contiv.Linux;
using Contiv.Agent.Addressing;
using Contiv.Agent.Controller;
using Contiv.Agent.Kube;
using Contiv.Agent.PodManager;
using Contiv.Model;
using Contiv.Model.Ksr;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.Ipam;

/// <summary>
/// ipam (SPEC §1.6.6): rebuilds the pod IP allocations on every full resync from the agent's own pods
/// and from KSR pod records, and releases a pod's IP when its KSR record disappears — or at CNI Delete
/// when KSR never knew the pod (a node without Kubernetes), so addresses do not leak.
/// </summary>
internal sealed class IpamHandler(AgentContext ctx, ILogger log) : IEventHandler
{
    /// <inheritdoc/>
    public string Name => "ipam";

    /// <inheritdoc/>
    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update
        || ev is DeletePod || ev is KubeStateChange { Resource: KubeResources.Pod, NewValue: null };

    /// <inheritdoc/>
    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        ArgumentNullException.ThrowIfNull(kubeState);
        var a = ctx.RequireAddressing();
        var alloc = new PodIpAllocator(a.PodSubnetThisNode);
        foreach (var (id, pod) in ctx.LocalPods)
        {
            if (Ip4.TryParse(pod.IpAddress, out var ip) && !alloc.Register(id, ip))
            {
                log.LogWarning("local pod {Pod}: IP {Ip} is not allocatable in {Subnet}; it will get a new one", id, ip, a.PodSubnetThisNode);
                ctx.LocalPods[id] = pod with { IpAddress = string.Empty };
            }
        }

        foreach (var pod in kubeState[KubeResources.Pod].Values.OfType<Pod>())
        {
            var id = new PodId(pod.Name, pod.Namespace);
            if (Ip4.TryParse(pod.IpAddress, out var ip) && a.PodSubnetThisNode.Contains(ip) && alloc.Find(id) is null)
            {
                alloc.Register(id, ip);
            }
        }

        ctx.Allocator = alloc;
    }

    /// <inheritdoc/>
    public string Update(AgentEvent ev, IUpdateOperations txn)
    {
        var alloc = ctx.Allocator;
        if (alloc is null)
        {
            return string.Empty;
        }

        switch (ev)
        {
            case KubeStateChange { PrevValue: Pod gone }:
                var id = new PodId(gone.Name, gone.Namespace);
                if (!ctx.LocalPods.ContainsKey(id) && alloc.Release(id) is { } ip)
                {
                    return $"released {ip} of deleted pod {id}";
                }

                return string.Empty;
            case DeletePod del:
                if (!KsrKnows(del.Pod) && alloc.Release(del.Pod) is { } released)
                {
                    return $"released {released} (pod unknown to KSR)";
                }

                return string.Empty;
            default:
                return string.Empty;
        }
    }

    /// <inheritdoc/>
    public void Revert(AgentEvent ev)
    {
    }

    /// <summary>Read access to the Kubernetes state cache (set by the agent host).</summary>
    public Func<KubeStateData>? KubeState { get; set; }

    private bool KsrKnows(PodId pod)
    {
        if (KubeState is null || string.IsNullOrEmpty(pod.Name) || string.IsNullOrEmpty(pod.Namespace))
        {
            return false;
        }

        // By key (KSR writes a pod under Keys.Pod(name, namespace)), not a scan of every pod of the cluster.
        var key = Keys.Pod(pod.Name, pod.Namespace)[Keys.KsrPrefix.Length..];
        return KubeState()[KubeResources.Pod].TryGetValue(key, out var value) && value is Pod p && p.Name == pod.Name && p.Namespace == pod.Namespace;
    }
}
