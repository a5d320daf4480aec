using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;
using Contiv.Agent.IpNet;
using Contiv.Agent.Kube;
using Contiv.Agent.PodManager;
using Contiv.Linux;
using Contiv.Model.Ksr;
using Contiv.Model.Vpp;
using Microsoft.Extensions.Logging;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Policy;

/// <summary>
/// policy (SPEC §1.6.8, §3.3): KSR pods, namespaces and NetworkPolicies plus this node's pods (AddPod / DeletePod) go
/// through <see cref="PolicyProcessor"/> → <see cref="PolicyConfigurator"/> → <see cref="PolicyRendererCache"/> →
/// <see cref="AclRenderer"/>; each event's transaction gets only the ACLs that changed (a shared table gaining a pod is
/// one PUT of its interface list), a resync gets them all. Runs after ipnet (a new pod's TAP is in the same
/// transaction as the ACLs naming it) and, for deletes, before it.
/// </summary>
/// <param name="ctx">This node's state (addressing, local pods).</param>
/// <param name="log">Logger.</param>
internal sealed class PolicyHandler(AgentContext ctx, ILogger log) : IEventHandler
{
    private const string NamespaceResource = "namespace";
    private const string PolicyResource = "policy";

    private readonly Dictionary<PodId, string> _taps = [];
    private Dictionary<string, Acl> _rendered = new(StringComparer.Ordinal);
    private PolicyProcessor? _processor;
    private PolicyRendererCache? _cache;
    private AddPod? _podAddedBy;

    /// <inheritdoc/>
    public string Name => "policy";

    /// <summary>The processor (null before the first resync); owned by the event loop thread.</summary>
    internal PolicyProcessor? Processor => _processor;

    /// <summary>The renderer cache (null before the first resync); owned by the event loop thread.</summary>
    internal PolicyRendererCache? RendererCache => _cache;

    /// <summary>The ACLs last rendered (the desired state), by name; replaced, never mutated.</summary>
    internal IReadOnlyDictionary<string, Acl> Rendered => _rendered;

    /// <inheritdoc/>
    public bool HandlesEvent(AgentEvent ev) => ev.Method != EventMethod.Update
        || ev is AddPod or DeletePod
        || ev is KubeStateChange { Resource: KubeResources.Pod or NamespaceResource or PolicyResource };

    /// <inheritdoc/>
    public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
    {
        ArgumentNullException.ThrowIfNull(kubeState);
        ArgumentNullException.ThrowIfNull(txn);
        if (ctx.Addressing is not { } addressing)
        {
            return; // no node ID yet: no pods either
        }

        var processor = new PolicyProcessor(addressing.PodSubnetThisNode, addressing.NatLoopback);
        var localIps = new Dictionary<PodId, Ip4>();
        _taps.Clear();
        foreach (var (id, pod) in ctx.LocalPods)
        {
            _taps[id] = IpNetConfig.PodTapName(pod.ContainerId);
            if (Ip4.TryParse(pod.IpAddress, out var ip))
            {
                localIps[id] = ip;
            }
        }

        processor.Resync(
            kubeState[KubeResources.Pod].Values.OfType<Pod>(),
            kubeState[NamespaceResource].Values.OfType<Namespace>(),
            kubeState[PolicyResource].Values.OfType<KsrPolicy>(),
            localIps);
        var cache = new PolicyRendererCache();
        cache.Update(processor.Rules);
        _processor = processor;
        _cache = cache;
        _podAddedBy = null;
        _rendered = AclRenderer.Render(cache, _taps, OutputInterfaces());

        foreach (var (name, acl) in _rendered)
        {
            txn.Put(AclRenderer.Key(name), acl);
        }

        log.LogInformation("policies resynced: {Policies} policies, {Isolated} isolated local pods, {Tables} local tables, {Acls} ACLs",
            processor.Cache.Policies.Count, cache.PodTables.Count, cache.LocalTables.Count, _rendered.Count);
    }

    /// <inheritdoc/>
    public string Update(AgentEvent ev, IUpdateOperations txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        if (_processor is not { } processor || _cache is not { } cache)
        {
            return string.Empty;
        }

        _podAddedBy = null;
        string what;
        var tapsChanged = false;
        IReadOnlyCollection<PodId> changed;
        switch (ev)
        {
            case KubeStateChange { Resource: KubeResources.Pod } k:
                {
                    var pod = (k.NewValue ?? k.PrevValue) as Pod;
                    if (pod is null)
                    {
                        return string.Empty;
                    }

                    var id = new PodId(pod.Name, pod.Namespace);
                    changed = processor.UpdatePod(id, k.NewValue as Pod);
                    what = $"pod {id}";
                    break;
                }

            case KubeStateChange { Resource: NamespaceResource } k:
                {
                    var name = ((k.NewValue ?? k.PrevValue) as Namespace)?.Name ?? k.Key.Split('/')[^1];
                    changed = processor.UpdateNamespace(name, k.NewValue as Namespace);
                    what = $"namespace {name}";
                    break;
                }

            case KubeStateChange { Resource: PolicyResource } k:
                {
                    if ((k.NewValue ?? k.PrevValue) is not KsrPolicy p)
                    {
                        return string.Empty;
                    }

                    var id = new PolicyId(p.Namespace, p.Name);
                    changed = processor.UpdatePolicy(id, k.NewValue as KsrPolicy);
                    what = $"policy {id}";
                    break;
                }

            case AddPod add:
                {
                    if (!ctx.LocalPods.TryGetValue(add.Pod, out var pod))
                    {
                        return string.Empty;
                    }

                    var tap = IpNetConfig.PodTapName(pod.ContainerId);
                    if (!_taps.TryGetValue(add.Pod, out var known) || known != tap)
                    {
                        _taps[add.Pod] = tap;
                        tapsChanged = true;
                        _podAddedBy = add;
                    }

                    changed = processor.UpdateLocalIp(add.Pod, Ip4.TryParse(pod.IpAddress, out var ip) ? ip : null);
                    what = $"local pod {add.Pod}";
                    break;
                }

            case DeletePod del:
                tapsChanged = _taps.Remove(del.Pod);
                changed = processor.UpdateLocalIp(del.Pod, null);
                what = $"local pod {del.Pod} removed";
                break;

            default:
                return string.Empty;
        }

        if (changed.Count == 0 && !tapsChanged)
        {
            return string.Empty;
        }

        if (changed.Count > 0)
        {
            cache.Update(processor.Rules);
        }

        var (puts, deletes) = Rerender();
        foreach (var acl in puts)
        {
            txn.Put(AclRenderer.Key(acl.Name), acl);
        }

        foreach (var name in deletes)
        {
            txn.Delete(AclRenderer.Key(name));
        }

        return puts.Count + deletes.Count == 0 ? string.Empty : $"{what}: {changed.Count} pods recomputed, {puts.Count} ACLs put, {deletes.Count} deleted";
    }

    /// <inheritdoc/>
    public void Revert(AgentEvent ev)
    {
        // The scheduler undid the transaction; forget the pod's TAP so that the rendered ACLs describe what it desires.
        if (ev is AddPod add && ReferenceEquals(_podAddedBy, add) && _processor is { } processor && _cache is { } cache)
        {
            _taps.Remove(add.Pod);
            processor.UpdateLocalIp(add.Pod, null);
            cache.Update(processor.Rules);
            Rerender();
            _podAddedBy = null;
        }
    }

    private (List<Acl> Puts, List<string> Deletes) Rerender()
    {
        var now = AclRenderer.Render(_cache!, _taps, OutputInterfaces());
        var puts = new List<Acl>();
        var deletes = new List<string>();
        foreach (var (name, acl) in now)
        {
            if (!_rendered.TryGetValue(name, out var before) || !before.Equals(acl))
            {
                puts.Add(acl);
            }
        }

        foreach (var name in _rendered.Keys)
        {
            if (!now.ContainsKey(name))
            {
                deletes.Add(name);
            }
        }

        _rendered = now;
        return (puts, deletes);
    }

    // Where pod traffic leaves the node (SPEC §3.3): the host interconnect, the NICs and the VXLAN BVI.
    private List<string> OutputInterfaces()
    {
        var result = new List<string> { IpNetConfig.HostTap, IpNetConfig.MainInterface(ctx) };
        foreach (var o in ctx.Settings.OtherInterfaces)
        {
            if (o.InterfaceName.Length > 0)
            {
                result.Add(o.InterfaceName);
            }
        }

        result.Add(IpNetConfig.VxlanBvi);
        return result;
    }
}
