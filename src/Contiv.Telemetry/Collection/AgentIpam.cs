namespace Contiv.Telemetry.Collection;

/// <summary>An agent's <c>GET /contiv/v1/ipam</c> answer (SPEC §5): its node's effective addressing.</summary>
public sealed record AgentIpam
{
    /// <summary>Node ID (≥ 1).</summary>
    public uint NodeId { get; init; }

    /// <summary>Node name.</summary>
    public string NodeName { get; init; } = string.Empty;

    /// <summary>The node's VPP (interconnect) IP, without prefix length.</summary>
    public string NodeIp { get; init; } = string.Empty;

    /// <summary>This node's pod subnet, e.g. <c>10.1.1.0/24</c>.</summary>
    public string PodSubnetThisNode { get; init; } = string.Empty;

    /// <summary>This node's VPP-host subnet, e.g. <c>172.30.1.0/24</c>.</summary>
    public string VppHostNetwork { get; init; } = string.Empty;

    /// <summary>The effective IPAM configuration.</summary>
    public AgentIpamConfig Config { get; init; } = new();
}

/// <summary>The <c>config</c> part of <see cref="AgentIpam"/>.</summary>
public sealed record AgentIpamConfig
{
    /// <summary>Cluster pod range, e.g. <c>10.1.0.0/16</c>.</summary>
    public string PodSubnetCidr { get; init; } = "10.1.0.0/16";

    /// <summary>Per-node pod subnet prefix length.</summary>
    public int PodSubnetOneNodePrefixLen { get; init; } = 24;

    /// <summary>Cluster VPP-host range, e.g. <c>172.30.0.0/16</c>.</summary>
    public string VppHostSubnetCidr { get; init; } = "172.30.0.0/16";

    /// <summary>Per-node VPP-host prefix length.</summary>
    public int VppHostSubnetOneNodePrefixLen { get; init; } = 24;

    /// <summary>Node interconnect range ("" when unset).</summary>
    public string NodeInterconnectCidr { get; init; } = string.Empty;

    /// <summary>VXLAN BVI range.</summary>
    public string VxlanCidr { get; init; } = "192.168.30.0/24";

    /// <summary>Service range.</summary>
    public string ServiceCidr { get; init; } = "10.96.0.0/12";

    /// <summary>Static default gateway ("" when unset).</summary>
    public string DefaultGateway { get; init; } = string.Empty;
}
