using Contiv.Model.Ksr;
using Contiv.Telemetry.Collection;

namespace Contiv.Telemetry.Validation;

/// <summary>
/// What one node must look like, derived from the snapshot and the node's own IPAM (SPEC §2.2, §2.6):
/// its remote nodes (every other node with an ID, a VPP IP and a management IP) with their BVI
/// addresses, MACs and subnets, and its local pods.
/// </summary>
internal sealed class ValidationContext
{
    public ValidationContext(ClusterSnapshot snapshot, NodeTelemetry node)
    {
        Snapshot = snapshot;
        Node = node;
        var cfg = node.Ipam?.Config ?? new AgentIpamConfig();
        _ = Ip4Net.TryParse(cfg.VxlanCidr, out var vxlan);
        _ = Ip4Net.TryParse(cfg.PodSubnetCidr, out var pods);
        _ = Ip4Net.TryParse(cfg.VppHostSubnetCidr, out var hosts);
        Vxlan = vxlan;
        PodCidr = pods;
        HostCidr = hosts;
        PodLen = cfg.PodSubnetOneNodePrefixLen;
        HostLen = cfg.VppHostSubnetOneNodePrefixLen;
        Remotes = [.. snapshot.Nodes.Where(n => n.Name != node.Name && n.Id != 0 && n.VppIp.Length > 0 && n.ManagementIp.Length > 0)];
        LocalPods = [.. snapshot.Pods.Where(p => node.ManagementIp.Length > 0 && p.HostIpAddress == node.ManagementIp
            && p.IpAddress.Length > 0 && p.IpAddress != p.HostIpAddress)];
    }

    public ClusterSnapshot Snapshot { get; }

    public NodeTelemetry Node { get; }

    public Ip4Net Vxlan { get; }

    public Ip4Net PodCidr { get; }

    public Ip4Net HostCidr { get; }

    public int PodLen { get; }

    public int HostLen { get; }

    /// <summary>The nodes this node must have a tunnel, ARP entry, FIB entry and routes for.</summary>
    public IReadOnlyList<NodeTelemetry> Remotes { get; }

    /// <summary>Pods (not host-network) whose host IP is this node's management IP.</summary>
    public IReadOnlyList<Pod> LocalPods { get; }

    public string BviIp(uint id) => Vxlan.Host(id);

    public Ip4Net PodSubnetOf(uint id) => PodCidr.Subnet(PodLen, id);

    public Ip4Net HostSubnetOf(uint id) => HostCidr.Subnet(HostLen, id);

    /// <summary>The remote node whose BVI has this IP, or null.</summary>
    public NodeTelemetry? RemoteByBviIp(string ip) => Remotes.FirstOrDefault(r => BviIp(r.Id) == ip);

    /// <summary>Interfaces of this node by name (empty when not collected).</summary>
    public IReadOnlyDictionary<string, Model.Vpp.Interface> Interfaces => _interfaces ??= (Node.Interfaces ?? []).GroupBy(i => i.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    private Dictionary<string, Model.Vpp.Interface>? _interfaces;

    /// <summary>VXLAN tunnels of a node whose destination is <paramref name="dst"/>.</summary>
    public static IEnumerable<Model.Vpp.Interface> TunnelsTo(NodeTelemetry from, string dst)
        => (from.Interfaces ?? []).Where(i => i.Type == Model.Vpp.InterfaceType.VxlanTunnel && i.Vxlan is { } v && v.DstAddress.Split('/')[0] == dst);

    public static string PodName(Pod p) => $"{p.Namespace}/{p.Name}";
}
