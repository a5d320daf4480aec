using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;

namespace Contiv.Telemetry.Collection;

/// <summary>One validation round's input: every node's telemetry plus the etcd records it was built from.</summary>
/// <param name="Nodes">One entry per Contiv or k8s node, ordered by ID then name.</param>
/// <param name="VppNodes">The <c>allocatedIDs/</c> records.</param>
/// <param name="K8sNodes">KSR's <c>k8s/node/</c> records.</param>
/// <param name="Pods">KSR's <c>k8s/pod/</c> records.</param>
public sealed record ClusterSnapshot(
    IReadOnlyList<NodeTelemetry> Nodes,
    IReadOnlyList<VppNode> VppNodes,
    IReadOnlyList<Node> K8sNodes,
    IReadOnlyList<Pod> Pods)
{
    /// <summary>The node of that name, or null.</summary>
    public NodeTelemetry? Find(string name)
    {
        foreach (var n in Nodes)
        {
            if (n.Name == name)
            {
                return n;
            }
        }

        return null;
    }
}
