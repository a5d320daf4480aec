using Contiv.Linux;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Policy;

/// <summary>
/// What a policy peer selects, with Kubernetes semantics (SPEC "Our decisions" 1): <c>podSelector</c> alone = pods of
/// the policy's namespace; <c>namespaceSelector</c> alone = every pod of the selected namespaces (an empty selector
/// selects every namespace, kube-system included); both = their intersection (selected pods inside the selected
/// namespaces); <c>ipBlock</c> = its CIDR minus <c>except</c>.
/// </summary>
internal static class PolicyPeers
{
    /// <summary>The pods a peer selects (without the ipBlock part).</summary>
    public static IEnumerable<PolicyPod> Pods(PolicyCache cache, string policyNamespace, KsrPolicy.Types.Peer peer)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.Namespaces is { } nsSelector)
        {
            var podSelector = peer.Pods ?? new KsrPolicy.Types.LabelSelector();
            foreach (var ns in cache.NamespacesSelected(nsSelector))
            {
                foreach (var pod in cache.PodsSelected(ns, podSelector))
                {
                    yield return pod;
                }
            }
        }
        else if (peer.Pods is { } podsOnly)
        {
            foreach (var pod in cache.PodsSelected(policyNamespace, podsOnly))
            {
                yield return pod;
            }
        }
    }

    /// <summary>True when the peer selects <paramref name="pod"/> (labels and namespace as given).</summary>
    public static bool Selects(PolicyCache cache, string policyNamespace, KsrPolicy.Types.Peer peer, PolicyPod pod)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(pod);
        if (peer.Namespaces is { } nsSelector)
        {
            return LabelSelectors.Matches(nsSelector, cache.NamespaceLabels(pod.Id.Namespace))
                && LabelSelectors.Matches(peer.Pods ?? new KsrPolicy.Types.LabelSelector(), pod.Labels);
        }

        return peer.Pods is { } podsOnly && pod.Id.Namespace == policyNamespace && LabelSelectors.Matches(podsOnly, pod.Labels);
    }

    /// <summary>True when a peer (pods or namespaces part) depends on namespace labels.</summary>
    public static bool UsesNamespaceLabels(KsrPolicy.Types.Peer peer) => peer.Namespaces is not null;

    /// <summary>The networks of a peer's ipBlock (CIDR minus except); empty without one or for a non-IPv4 CIDR.</summary>
    public static List<Ip4Prefix> Networks(KsrPolicy.Types.Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.IpBlock is not { } block || !Ip4Prefix.TryParse(block.Cidr, out var cidr))
        {
            return [];
        }

        var except = new List<Ip4Prefix>();
        foreach (var e in block.Except)
        {
            if (Ip4Prefix.TryParse(e, out var p))
            {
                except.Add(p);
            }
        }

        return SubnetSubtraction.Subtract(cidr, except);
    }

    /// <summary>
    /// Whether the policy isolates selected pods for ingress and for egress (decision 1: <c>policyTypes</c> absent =
    /// Ingress, plus Egress when the policy has egress rules).
    /// </summary>
    public static (bool Ingress, bool Egress) Types(KsrPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.PolicyType switch
        {
            KsrPolicy.Types.PolicyType.Ingress => (true, false),
            KsrPolicy.Types.PolicyType.Egress => (false, true),
            KsrPolicy.Types.PolicyType.IngressAndEgress => (true, true),
            _ => (true, policy.EgressRule.Count > 0),
        };
    }
}
