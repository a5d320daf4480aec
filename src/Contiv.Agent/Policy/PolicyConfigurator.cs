using Contiv.Linux;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Policy;

/// <summary>
/// Configurator (SPEC §3.3, with decision 1): turns the policies that select a pod into the pod's vswitch rules.
/// Per rule: no peers = all; peers = the selected pods' /32s and the ipBlocks' networks (except removed by subnet
/// subtraction); no ports = every protocol and port; a numeric port with <c>endPort</c> = that range; a named port
/// resolves to a container port — of the target pod for ingress, of each peer pod for egress (each peer then gets its
/// own rule, and an egress rule without peers resolves against every known pod). When something is isolated but not
/// everything was permitted: ingress gets a PERMIT from the NAT loopback (twice-NATed service traffic) and a closing
/// DENY any; egress gets the DENY any.
/// </summary>
internal static class PolicyConfigurator
{
    /// <summary>The rules of <paramref name="pod"/> given the policies that select it.</summary>
    /// <param name="cache">Pods and namespaces (peer resolution).</param>
    /// <param name="pod">The local pod (must have an IP).</param>
    /// <param name="policies">Policies whose pod selector selects the pod.</param>
    /// <param name="natLoopback">This node's NAT loopback (SPEC §2.2), always allowed in when ingress is isolated.</param>
    public static PodRules Configure(PolicyCache cache, PolicyPod pod, IEnumerable<KsrPolicy> policies, Ip4 natLoopback)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(policies);
        var ip = pod.Ip ?? throw new ArgumentException($"pod {pod.Id} has no IP: policies cannot be configured for it", nameof(pod));
        HashSet<ContivRule>? ingress = null; // k8s ingress → vswitch egress
        HashSet<ContivRule>? egress = null;  // k8s egress → vswitch ingress
        bool ingressAll = false, egressAll = false;

        foreach (var policy in policies)
        {
            var (isolatesIngress, isolatesEgress) = PolicyPeers.Types(policy);
            if (isolatesIngress)
            {
                ingress ??= [];
                foreach (var rule in policy.IngressRule)
                {
                    ingressAll |= AddIngress(cache, pod, policy.Namespace, rule, ingress);
                }
            }

            if (isolatesEgress)
            {
                egress ??= [];
                foreach (var rule in policy.EgressRule)
                {
                    egressAll |= AddEgress(cache, policy.Namespace, rule, egress);
                }
            }
        }

        List<ContivRule>? vswitchEgress = null, vswitchIngress = null;
        if (ingress is not null)
        {
            if (ingressAll)
            {
                ingress.Clear();
                ingress.Add(ContivRule.PermitAll);
            }
            else
            {
                ingress.Add(new ContivRule(RuleAction.Permit, new Ip4Prefix(natLoopback, 32), ContivRule.AnyNetwork, RuleProtocol.Any, 0, 0));
                ingress.Add(ContivRule.DenyAll);
            }

            vswitchEgress = [.. ingress];
            vswitchEgress.Sort();
        }

        if (egress is not null)
        {
            if (egressAll)
            {
                egress.Clear();
                egress.Add(ContivRule.PermitAll);
            }
            else
            {
                egress.Add(ContivRule.DenyAll);
            }

            vswitchIngress = [.. egress];
            vswitchIngress.Sort();
        }

        return new PodRules(ip, vswitchIngress, vswitchEgress);
    }

    // Returns true when the rule permits everything from everywhere.
    private static bool AddIngress(PolicyCache cache, PolicyPod target, string policyNs, KsrPolicy.Types.IngressRule rule, HashSet<ContivRule> rules)
    {
        // Named ports resolve against the target pod itself.
        var ports = Resolve(rule.Port, target);
        if (ports.Count == 0)
        {
            return false; // every port is named and the pod has none of them: the rule matches nothing
        }

        var sources = new List<Ip4Prefix>();
        if (rule.From.Count == 0)
        {
            sources.Add(ContivRule.AnyNetwork);
        }
        else
        {
            foreach (var peer in rule.From)
            {
                foreach (var p in PolicyPeers.Pods(cache, policyNs, peer))
                {
                    if (p.Ip is { } pip)
                    {
                        sources.Add(new Ip4Prefix(pip, 32));
                    }
                }

                sources.AddRange(PolicyPeers.Networks(peer));
            }
        }

        var all = false;
        foreach (var src in sources)
        {
            foreach (var port in ports)
            {
                var r = new ContivRule(RuleAction.Permit, src, ContivRule.AnyNetwork, port.Protocol, port.Low, port.High);
                all |= r.MatchesAll;
                rules.Add(r);
            }
        }

        return all;
    }

    private static bool AddEgress(PolicyCache cache, string policyNs, KsrPolicy.Types.EgressRule rule, HashSet<ContivRule> rules)
    {
        var named = HasNamedPort(rule.Port);
        var numeric = Resolve(rule.Port, pod: null); // numeric ports (and "all") only; named ones per peer pod below
        var all = false;

        void Add(Ip4Prefix dst, List<PortRange> ports)
        {
            foreach (var port in ports)
            {
                var r = new ContivRule(RuleAction.Permit, ContivRule.AnyNetwork, dst, port.Protocol, port.Low, port.High);
                all |= r.MatchesAll;
                rules.Add(r);
            }
        }

        if (rule.To.Count == 0)
        {
            Add(ContivRule.AnyNetwork, numeric);
            if (named)
            {
                foreach (var p in cache.Pods.Values)
                {
                    if (p.Ip is { } pip)
                    {
                        Add(new Ip4Prefix(pip, 32), ResolveNamedOnly(rule.Port, p));
                    }
                }
            }

            return all;
        }

        foreach (var peer in rule.To)
        {
            foreach (var p in PolicyPeers.Pods(cache, policyNs, peer))
            {
                if (p.Ip is { } pip)
                {
                    Add(new Ip4Prefix(pip, 32), named ? Resolve(rule.Port, p) : numeric);
                }
            }

            foreach (var net in PolicyPeers.Networks(peer))
            {
                Add(net, numeric);
            }
        }

        return all;
    }

    private static bool HasNamedPort(IEnumerable<KsrPolicy.Types.Port> ports)
    {
        foreach (var p in ports)
        {
            if (p.Port_ is { Type: KsrPolicy.Types.Port.Types.PortNameOrNumber.Types.Type.Name })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The port ranges a rule's ports allow: no ports = everything; a port without number = every port of its
    /// protocol; number..endPort; a named port resolved against <paramref name="pod"/> (skipped without a pod or
    /// when the pod has no such port).
    /// </summary>
    internal static List<PortRange> Resolve(IReadOnlyCollection<KsrPolicy.Types.Port> ports, PolicyPod? pod)
    {
        if (ports.Count == 0)
        {
            return [PortRange.All];
        }

        var result = new List<PortRange>(ports.Count);
        foreach (var p in ports)
        {
            var proto = ProtocolOf(p.Protocol);
            if (p.Port_ is null)
            {
                result.Add(new PortRange(proto, 0, 0));
            }
            else if (p.Port_.Type == KsrPolicy.Types.Port.Types.PortNameOrNumber.Types.Type.Name)
            {
                if (pod?.NamedPort(p.Port_.Name, proto) is { } n)
                {
                    result.Add(new PortRange(proto, n, n));
                }
            }
            else if (p.Port_.Number > 0)
            {
                var high = p.EndPort >= p.Port_.Number ? p.EndPort : p.Port_.Number;
                result.Add(new PortRange(proto, p.Port_.Number, high));
            }
            else
            {
                result.Add(new PortRange(proto, 0, 0));
            }
        }

        return result;
    }

    private static List<PortRange> ResolveNamedOnly(IReadOnlyCollection<KsrPolicy.Types.Port> ports, PolicyPod pod)
    {
        var result = new List<PortRange>();
        foreach (var p in ports)
        {
            var proto = ProtocolOf(p.Protocol);
            if (p.Port_ is { Type: KsrPolicy.Types.Port.Types.PortNameOrNumber.Types.Type.Name } && pod.NamedPort(p.Port_.Name, proto) is { } n)
            {
                result.Add(new PortRange(proto, n, n));
            }
        }

        return result;
    }

    private static RuleProtocol ProtocolOf(KsrPolicy.Types.Port.Types.Protocol p) => p switch
    {
        KsrPolicy.Types.Port.Types.Protocol.Udp => RuleProtocol.Udp,
        KsrPolicy.Types.Port.Types.Protocol.Sctp => RuleProtocol.Sctp,
        _ => RuleProtocol.Tcp,
    };
}
