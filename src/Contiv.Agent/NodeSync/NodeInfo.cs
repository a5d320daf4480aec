using Contiv.Linux;
using Contiv.Agent.Addressing;

namespace Contiv.Agent.NodeSync;

/// <summary>What the agent knows about a cluster node: its ID and VPP IPs (VppNode) and management IPs (k8s Node).</summary>
/// <param name="Name">Node name.</param>
/// <param name="Id">Node ID (0 = none allocated).</param>
/// <param name="VppIps">VPP (node interconnect) addresses "ip/len".</param>
/// <param name="MgmtIps">InternalIP and ExternalIP addresses of the k8s node.</param>
/// <param name="PodCidr">k8s node podCIDR.</param>
internal sealed record NodeInfo(string Name, uint Id, IReadOnlyList<string> VppIps, IReadOnlyList<string> MgmtIps, string PodCidr)
{
    /// <summary>First VPP IP without prefix, if any.</summary>
    public Ip4? FirstVppIp => VppIps.Select(v => v.Split('/')[0]).Select(s => Ip4.TryParse(s, out var ip) ? (Ip4?)ip : null).FirstOrDefault(ip => ip is not null);

    /// <summary>Value equality including the lists.</summary>
    public bool SameAs(NodeInfo? other) => other is not null && Name == other.Name && Id == other.Id && PodCidr == other.PodCidr
        && VppIps.SequenceEqual(other.VppIps) && MgmtIps.SequenceEqual(other.MgmtIps);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (ID {Id}, VPP [{string.Join(", ", VppIps)}], mgmt [{string.Join(", ", MgmtIps)}])";
}
