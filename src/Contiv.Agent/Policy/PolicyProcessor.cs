using Contiv.Agent.Ipam;
using Contiv.Linux;
using Contiv.Model.Ksr;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Policy;

/// <summary>
/// Processor (SPEC §3.3): keeps the <see cref="PolicyCache"/> and decides which local pods to recompute — all on a
/// resync; for a policy change the pods it selects before and after; for a pod change the pod itself plus the pods of
/// every policy whose peers select it before or after (egress rules without peers and with named ports count every
/// pod as a peer); for a namespace change the pods of policies whose namespace selectors see it. Only pods with an IP
/// inside this node's pod subnet are local (host-network and remote pods are peers only). Then it runs the
/// <see cref="PolicyConfigurator"/> for them and keeps each local pod's <see cref="PodRules"/>.
/// </summary>
/// <param name="podSubnetThisNode">This node's pod subnet.</param>
/// <param name="natLoopback">This node's NAT loopback address.</param>
internal sealed class PolicyProcessor(Ip4Prefix podSubnetThisNode, Ip4 natLoopback)
{
    private readonly Dictionary<PodId, PodRules> _rules = [];

    /// <summary>The cache the processor maintains.</summary>
    public PolicyCache Cache { get; } = new();

    /// <summary>Rules of every local pod with an IP (a pod without any policy has both directions null).</summary>
    public IReadOnlyDictionary<PodId, PodRules> Rules => _rules;

    /// <summary>Loads everything and configures every local pod.</summary>
    public void Resync(IEnumerable<Pod> pods, IEnumerable<Namespace> namespaces, IEnumerable<KsrPolicy> policies, IReadOnlyDictionary<PodId, Ip4> localIps)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(namespaces);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(localIps);
        foreach (var (id, ip) in localIps)
        {
            Cache.SetLocalIp(id, ip);
        }

        foreach (var ns in namespaces)
        {
            Cache.SetNamespace(ns.Name, ns);
        }

        foreach (var p in pods)
        {
            Cache.SetPod(new PodId(p.Name, p.Namespace), p);
        }

        foreach (var p in policies)
        {
            Cache.SetPolicy(new PolicyId(p.Namespace, p.Name), p);
        }

        _rules.Clear();
        Recompute([.. Cache.Pods.Keys]);
    }

    /// <summary>A policy was added, changed (both values) or removed (<paramref name="policy"/> null).</summary>
    /// <returns>The local pods whose rules changed.</returns>
    public IReadOnlyCollection<PodId> UpdatePolicy(PolicyId id, KsrPolicy? policy)
    {
        var before = Cache.SetPolicy(id, policy);
        var affected = new HashSet<PodId>();
        AddSelected(before, affected);
        AddSelected(policy, affected);
        return Recompute(affected);
    }

    /// <summary>A pod record was added, changed or removed (null).</summary>
    public IReadOnlyCollection<PodId> UpdatePod(PodId id, Pod? pod)
    {
        var before = Cache.SetPod(id, pod);
        var after = Cache.Pods.GetValueOrDefault(id);
        var affected = new HashSet<PodId> { id };
        foreach (var (_, policy) in Cache.Policies)
        {
            if ((before is not null && References(policy, before)) || (after is not null && References(policy, after)))
            {
                AddSelected(policy, affected);
            }
        }

        return Recompute(affected);
    }

    /// <summary>The agent allocated (or released: null) a local pod's IP; KSR may reflect it later.</summary>
    public IReadOnlyCollection<PodId> UpdateLocalIp(PodId id, Ip4? ip)
    {
        var before = Cache.Pods.GetValueOrDefault(id);
        Cache.SetLocalIp(id, ip);
        var after = Cache.Pods.GetValueOrDefault(id);
        var affected = new HashSet<PodId> { id };
        if (after is not null && before?.Ip != after.Ip)
        {
            foreach (var (_, policy) in Cache.Policies)
            {
                if (References(policy, after))
                {
                    AddSelected(policy, affected);
                }
            }
        }

        return Recompute(affected);
    }

    /// <summary>A namespace was added, changed or removed (null).</summary>
    public IReadOnlyCollection<PodId> UpdateNamespace(string name, Namespace? ns)
    {
        Cache.SetNamespace(name, ns);
        var affected = new HashSet<PodId>();
        foreach (var (_, policy) in Cache.Policies)
        {
            if (UsesNamespaceSelector(policy))
            {
                AddSelected(policy, affected);
            }
        }

        return Recompute(affected);
    }

    /// <summary>True when <paramref name="pod"/> is local: its IP lies in this node's pod subnet.</summary>
    public bool IsLocal(PolicyPod pod) => pod.Ip is { } ip && podSubnetThisNode.Contains(ip) && ip != natLoopback;

    private void AddSelected(KsrPolicy? policy, HashSet<PodId> into)
    {
        if (policy is null)
        {
            return;
        }

        foreach (var pod in Cache.PodsSelected(policy.Namespace, policy.Pods ?? new KsrPolicy.Types.LabelSelector()))
        {
            if (IsLocal(pod))
            {
                into.Add(pod.Id);
            }
        }
    }

    // Recomputes the given pods; returns those whose rules changed (added, removed or different).
    private List<PodId> Recompute(IEnumerable<PodId> pods)
    {
        var changed = new List<PodId>();
        foreach (var id in pods)
        {
            PodRules? now = null;
            if (Cache.Pods.TryGetValue(id, out var pod) && IsLocal(pod))
            {
                now = PolicyConfigurator.Configure(Cache, pod, Cache.PoliciesSelecting(pod).Select(p => p.Policy), natLoopback);
            }

            var before = _rules.GetValueOrDefault(id);
            if (now is null)
            {
                if (_rules.Remove(id))
                {
                    changed.Add(id);
                }
            }
            else if (!now.SameAs(before))
            {
                _rules[id] = now;
                changed.Add(id);
            }
        }

        return changed;
    }

    private bool References(KsrPolicy policy, PolicyPod pod)
    {
        foreach (var r in policy.IngressRule)
        {
            foreach (var peer in r.From)
            {
                if (PolicyPeers.Selects(Cache, policy.Namespace, peer, pod))
                {
                    return true;
                }
            }
        }

        foreach (var r in policy.EgressRule)
        {
            if (r.To.Count == 0 && r.Port.Any(p => p.Port_ is { Type: KsrPolicy.Types.Port.Types.PortNameOrNumber.Types.Type.Name }))
            {
                return true; // named ports of "any destination" resolve against every pod
            }

            foreach (var peer in r.To)
            {
                if (PolicyPeers.Selects(Cache, policy.Namespace, peer, pod))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool UsesNamespaceSelector(KsrPolicy policy) =>
        policy.IngressRule.Any(r => r.From.Any(PolicyPeers.UsesNamespaceLabels)) || policy.EgressRule.Any(r => r.To.Any(PolicyPeers.UsesNamespaceLabels));
}
