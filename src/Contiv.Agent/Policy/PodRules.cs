using Contiv.Linux;

namespace Contiv.Agent.Policy;

/// <summary>
/// The configurator's result for one local pod, from the vswitch's point of view (SPEC §3.3): the pod's Kubernetes
/// ingress becomes the vswitch's <see cref="Egress"/> (packets the vswitch sends to the pod; rules match the source),
/// its Kubernetes egress becomes the vswitch's <see cref="Ingress"/> (packets the vswitch receives from the pod; rules
/// match the destination). A direction without any policy is null (not isolated), which differs from an empty list.
/// </summary>
/// <param name="Ip">The pod's IP.</param>
/// <param name="Ingress">vswitch-ingress rules (k8s egress), sorted; null when no policy isolates the pod's egress.</param>
/// <param name="Egress">vswitch-egress rules (k8s ingress), sorted; null when no policy isolates the pod's ingress.</param>
internal sealed record PodRules(Ip4 Ip, IReadOnlyList<ContivRule>? Ingress, IReadOnlyList<ContivRule>? Egress)
{
    /// <summary>Value equality over the rule lists (records compare lists by reference).</summary>
    public bool SameAs(PodRules? other) =>
        other is not null && Ip == other.Ip && SameList(Ingress, other.Ingress) && SameList(Egress, other.Egress);

    private static bool SameList(IReadOnlyList<ContivRule>? a, IReadOnlyList<ContivRule>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }
}
