namespace Contiv.Lab.Nodes;

/// <summary>How pods are networked in the lab.</summary>
public enum NetworkMode
{
    /// <summary>The product: contiv-vpp + contiv-agent per node, contiv-cni as the CNI plugin, VXLAN between nodes.</summary>
    Contiv,

    /// <summary>
    /// Baseline without the product: the CNI reference <c>bridge</c> plugin with <c>host-local</c> IPAM
    /// (same pod subnets 10.1.N.0/24) and kernel routes between node namespaces over the management
    /// network. Exercises the lab itself (namespaces, kubelet, CNI chain, check) and serves as the
    /// kernel comparison for measurements.
    /// </summary>
    Bridge,
}
