using Contiv.Linux;
using Contiv.Agent.Addressing;

namespace Contiv.Agent.Ipam;

/// <summary>
/// Deterministic addressing of one node (SPEC §2.2): every address follows from the subnets and the
/// node ID, so a restarted agent (and every other node) computes the same values.
/// </summary>
internal sealed class NodeAddressing
{
    /// <summary>Computes the addressing of node <paramref name="nodeId"/> (≥ 1).</summary>
    public NodeAddressing(IpamSubnets subnets, uint nodeId)
    {
        ArgumentNullException.ThrowIfNull(subnets);
        Subnets = subnets;
        NodeId = nodeId;
        PodSubnetThisNode = PodSubnetOf(nodeId);
        HostSubnetThisNode = HostSubnetOf(nodeId);
    }

    /// <summary>The cluster subnets this addressing was computed from.</summary>
    public IpamSubnets Subnets { get; }

    /// <summary>This node's ID.</summary>
    public uint NodeId { get; }

    /// <summary>Pod subnet of this node (10.1.N.0/24 by default).</summary>
    public Ip4Prefix PodSubnetThisNode { get; }

    /// <summary>Host interconnect subnet of this node (172.30.N.0/24 by default).</summary>
    public Ip4Prefix HostSubnetThisNode { get; }

    /// <summary>Pod gateway = host #1 of the node pod subnet; only ever on <c>podGwLoop</c>.</summary>
    public Ip4 PodGateway => PodSubnetThisNode.Host(1);

    /// <summary>NAT loopback = broadcast − 1 of the node pod subnet; never allocated to a pod.</summary>
    public Ip4 NatLoopback => PodSubnetThisNode.Broadcast.Add(-1);

    /// <summary>VPP end of the host interconnect (host #1, e.g. 172.30.N.1).</summary>
    public Ip4 HostInterconnectIpInVpp => HostSubnetThisNode.Host(1);

    /// <summary>Linux end of the host interconnect (host #2, e.g. 172.30.N.2).</summary>
    public Ip4 HostInterconnectIpInLinux => HostSubnetThisNode.Host(2);

    /// <summary>Pod subnet of any node.</summary>
    public Ip4Prefix PodSubnetOf(uint nodeId) => IpamSubnets.DissectForNode(Subnets.PodSubnetCidr, Subnets.PodSubnetOneNodePrefixLen, nodeId);

    /// <summary>Host interconnect subnet of any node.</summary>
    public Ip4Prefix HostSubnetOf(uint nodeId) => IpamSubnets.DissectForNode(Subnets.VppHostSubnetCidr, Subnets.VppHostSubnetOneNodePrefixLen, nodeId);

    /// <summary>VXLAN BVI address of any node = host #N of vxlanCIDR, with the vxlanCIDR prefix length.</summary>
    public (Ip4 Address, int PrefixLength) VxlanBviAddressOf(uint nodeId)
    {
        var cidr = Subnets.VxlanCidr;
        if (nodeId == 0 || nodeId >= cidr.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId, $"node ID {nodeId} is out of range for vxlanCIDR {cidr}");
        }

        return (cidr.Host(nodeId), cidr.Length);
    }

    /// <summary>
    /// Node (main NIC) address of any node: host #N of nodeInterconnectCIDR, incremented by one for every
    /// excluded address (the static default gateway) at or below it. N == 2^hostBits is an error.
    /// </summary>
    public (Ip4 Address, int PrefixLength) NodeIpOf(uint nodeId)
    {
        var cidr = Subnets.NodeInterconnectCidr
            ?? throw new InvalidOperationException("ipamConfig.nodeInterconnectCIDR is not set (DHCP or explicit node IPs in use); cannot compute a node IP");
        if (nodeId >= cidr.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId,
                nodeId == cidr.Size ? $"node ID {nodeId} has no address in nodeInterconnectCIDR {cidr}" : $"node ID {nodeId} is out of range for nodeInterconnectCIDR {cidr}");
        }

        var ip = cidr.Network.Add(nodeId);
        if (Subnets.DefaultGateway is { } gw && gw <= ip)
        {
            ip = ip.Add(1);
        }

        if (!cidr.Contains(ip))
        {
            throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId, $"node ID {nodeId} is out of range for nodeInterconnectCIDR {cidr}");
        }

        return (ip, cidr.Length);
    }

    /// <summary>Node ID owning a pod IP: (podIP XOR clusterPodNet) >> (32 − oneNodeLen); index 0 maps back to 2^newBits.</summary>
    public uint NodeIdFromPodIp(Ip4 podIp)
    {
        var all = Subnets.PodSubnetCidr;
        if (!all.Contains(podIp))
        {
            throw new ArgumentOutOfRangeException(nameof(podIp), podIp, $"{podIp} is outside the cluster pod subnet {all}");
        }

        var id = (podIp.Value ^ all.Network.Value) >> (32 - Subnets.PodSubnetOneNodePrefixLen);
        return id == 0 ? 1u << (Subnets.PodSubnetOneNodePrefixLen - all.Length) : id;
    }
}
