using Contiv.Agent.Ipam;
using Contiv.Linux;
using Contiv.Model.Ksr;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Policy;

/// <summary>A pod as the policy pipeline sees it: labels, IP (null until known) and named container ports.</summary>
/// <param name="Id">Pod identity.</param>
/// <param name="Labels">Pod labels.</param>
/// <param name="Ip">Pod IP; null while it has none.</param>
/// <param name="ContainerPorts">Container ports (name may be empty), for named-port resolution.</param>
internal sealed record PolicyPod(PodId Id, IReadOnlyDictionary<string, string> Labels, Ip4? Ip, IReadOnlyList<ContainerPort> ContainerPorts)
{
    /// <summary>The port named <paramref name="name"/> with <paramref name="protocol"/>; null when the pod has none.</summary>
    public int? NamedPort(string name, RuleProtocol protocol)
    {
        foreach (var p in ContainerPorts)
        {
            if (p.Name == name && p.Protocol == protocol)
            {
                return p.Port;
            }
        }

        return null;
    }
}

/// <summary>A container port of a pod.</summary>
/// <param name="Name">Port name (empty when unnamed).</param>
/// <param name="Protocol">Protocol.</param>
/// <param name="Port">Container port number.</param>
internal readonly record struct ContainerPort(string Name, RuleProtocol Protocol, int Port);

/// <summary>
/// Policy cache (SPEC §3.3): the pods, namespaces and policies KSR reflects, with the indexes the processor needs —
/// pods by namespace and by label (<c>key=value</c> within a namespace), so that a selector with match labels visits
/// only the pods carrying its first label, never every pod. Owned by the event loop thread.
/// </summary>
internal sealed class PolicyCache
{
    private readonly Dictionary<PodId, PolicyPod> _pods = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<PolicyId, KsrPolicy> _policies = [];
    private readonly Dictionary<string, HashSet<PodId>> _podsByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Key, string Value), HashSet<PodId>> _podsByLabel = [];
    private readonly Dictionary<PodId, Ip4> _localIps = [];

    /// <summary>Every known pod.</summary>
    public IReadOnlyDictionary<PodId, PolicyPod> Pods => _pods;

    /// <summary>Every known policy.</summary>
    public IReadOnlyDictionary<PolicyId, KsrPolicy> Policies => _policies;

    /// <summary>Every known namespace with its labels.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Namespaces => _namespaces;

    /// <summary>Sets (null: removes) a KSR pod record; returns the cached pod before the change.</summary>
    public PolicyPod? SetPod(PodId id, Pod? pod)
    {
        var before = _pods.GetValueOrDefault(id);
        if (before is not null)
        {
            Unindex(before);
            _pods.Remove(id);
        }

        if (pod is not null)
        {
            var after = ToPolicyPod(id, pod, _localIps.TryGetValue(id, out var local) ? local : null);
            _pods[id] = after;
            Index(after);
        }

        return before;
    }

    /// <summary>
    /// Sets (null: forgets) the IP the agent allocated to a local pod: used while KSR has not reflected the pod's IP
    /// yet, so that the pod is isolated from its first packet.
    /// </summary>
    public void SetLocalIp(PodId id, Ip4? ip)
    {
        if (ip is { } v)
        {
            _localIps[id] = v;
        }
        else
        {
            _localIps.Remove(id);
        }

        if (_pods.TryGetValue(id, out var pod) && pod.Ip is null && ip is not null)
        {
            _pods[id] = pod with { Ip = ip };
        }
    }

    /// <summary>Sets (null: removes) a namespace; returns its labels before the change.</summary>
    public IReadOnlyDictionary<string, string>? SetNamespace(string name, Namespace? ns)
    {
        var before = _namespaces.GetValueOrDefault(name);
        if (ns is null)
        {
            _namespaces.Remove(name);
        }
        else
        {
            _namespaces[name] = LabelSelectors.Of(ns);
        }

        return before;
    }

    /// <summary>Sets (null: removes) a policy; returns the policy before the change.</summary>
    public KsrPolicy? SetPolicy(PolicyId id, KsrPolicy? policy)
    {
        var before = _policies.GetValueOrDefault(id);
        if (policy is null)
        {
            _policies.Remove(id);
        }
        else
        {
            _policies[id] = policy;
        }

        return before;
    }

    /// <summary>Labels of a namespace; a namespace KSR has not reflected has only its name label.</summary>
    public IReadOnlyDictionary<string, string> NamespaceLabels(string name) =>
        _namespaces.TryGetValue(name, out var l) ? l : new Dictionary<string, string>(StringComparer.Ordinal) { ["kubernetes.io/metadata.name"] = name };

    /// <summary>Pods of namespace <paramref name="ns"/> that <paramref name="selector"/> selects.</summary>
    public IEnumerable<PolicyPod> PodsSelected(string ns, KsrPolicy.Types.LabelSelector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        IEnumerable<PodId> candidates;
        if (selector.MatchLabel.Count > 0)
        {
            var first = selector.MatchLabel[0];
            candidates = _podsByLabel.TryGetValue((ns, first.Key, first.Value), out var byLabel) ? byLabel : [];
        }
        else
        {
            candidates = _podsByNamespace.TryGetValue(ns, out var inNs) ? inNs : [];
        }

        foreach (var id in candidates)
        {
            var pod = _pods[id];
            if (LabelSelectors.Matches(selector, pod.Labels))
            {
                yield return pod;
            }
        }
    }

    /// <summary>Namespaces (known, or holding pods) that <paramref name="selector"/> selects.</summary>
    public IEnumerable<string> NamespacesSelected(KsrPolicy.Types.LabelSelector selector)
    {
        foreach (var ns in _podsByNamespace.Keys)
        {
            if (LabelSelectors.Matches(selector, NamespaceLabels(ns)))
            {
                yield return ns;
            }
        }
    }

    /// <summary>Policies (of the pod's namespace) whose pod selector selects <paramref name="pod"/>.</summary>
    public IEnumerable<(PolicyId Id, KsrPolicy Policy)> PoliciesSelecting(PolicyPod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        foreach (var (id, p) in _policies)
        {
            if (id.Namespace == pod.Id.Namespace && LabelSelectors.Matches(p.Pods ?? new KsrPolicy.Types.LabelSelector(), pod.Labels))
            {
                yield return (id, p);
            }
        }
    }

    private static PolicyPod ToPolicyPod(PodId id, Pod pod, Ip4? localIp)
    {
        Ip4? ip = Ip4.TryParse(pod.IpAddress, out var parsed) ? parsed : localIp;
        var ports = new List<ContainerPort>();
        foreach (var c in pod.Container)
        {
            foreach (var p in c.Port)
            {
                var proto = p.Protocol == Pod.Types.Container.Types.Port.Types.Protocol.Udp ? RuleProtocol.Udp : RuleProtocol.Tcp;
                ports.Add(new ContainerPort(p.Name, proto, p.ContainerPort));
            }
        }

        return new PolicyPod(id, new Dictionary<string, string>(LabelSelectors.Of(pod), StringComparer.Ordinal), ip, ports);
    }

    private void Index(PolicyPod pod)
    {
        if (!_podsByNamespace.TryGetValue(pod.Id.Namespace, out var inNs))
        {
            _podsByNamespace[pod.Id.Namespace] = inNs = [];
        }

        inNs.Add(pod.Id);
        foreach (var (k, v) in pod.Labels)
        {
            var key = (pod.Id.Namespace, k, v);
            if (!_podsByLabel.TryGetValue(key, out var set))
            {
                _podsByLabel[key] = set = [];
            }

            set.Add(pod.Id);
        }
    }

    private void Unindex(PolicyPod pod)
    {
        if (_podsByNamespace.TryGetValue(pod.Id.Namespace, out var inNs) && inNs.Remove(pod.Id) && inNs.Count == 0)
        {
            _podsByNamespace.Remove(pod.Id.Namespace);
        }

        foreach (var (k, v) in pod.Labels)
        {
            var key = (pod.Id.Namespace, k, v);
            if (_podsByLabel.TryGetValue(key, out var set) && set.Remove(pod.Id) && set.Count == 0)
            {
                _podsByLabel.Remove(key);
            }
        }
    }
}
