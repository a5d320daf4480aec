using Contiv.Linux;
using Contiv.Agent.Addressing;
using Contiv.Agent.Config;

namespace Contiv.Agent.Ipam;

/// <summary>
/// The effective cluster-wide subnets after parsing <c>ipamConfig</c> and, when <c>contivCIDR</c> is set,
/// after dissecting it (SPEC §2.2). Immutable; one instance per loaded configuration.
/// </summary>
internal sealed record IpamSubnets
{
    /// <summary>Cluster pod range (default 10.1.0.0/16).</summary>
    public required Ip4Prefix PodSubnetCidr { get; init; }

    /// <summary>Per-node pod slice length (default 24).</summary>
    public required int PodSubnetOneNodePrefixLen { get; init; }

    /// <summary>VPP↔host interconnect range (default 172.30.0.0/16).</summary>
    public required Ip4Prefix VppHostSubnetCidr { get; init; }

    /// <summary>Per-node host interconnect slice length (default 24).</summary>
    public required int VppHostSubnetOneNodePrefixLen { get; init; }

    /// <summary>Node (main NIC) range; null when nodes use DHCP or explicit IPs only.</summary>
    public Ip4Prefix? NodeInterconnectCidr { get; init; }

    /// <summary>VXLAN BVI range (default 192.168.30.0/24).</summary>
    public required Ip4Prefix VxlanCidr { get; init; }

    /// <summary>Service cluster IP range (default 10.96.0.0/12).</summary>
    public required Ip4Prefix ServiceCidr { get; init; }

    /// <summary>Static default gateway of all nodes, if configured; excluded from node IP computation.</summary>
    public Ip4? DefaultGateway { get; init; }

    /// <summary>The contivCIDR the subnets were dissected from, if any.</summary>
    public Ip4Prefix? ContivCidr { get; init; }

    /// <summary>Builds the effective subnets from configuration; errors name the key and the bad value.</summary>
    public static IpamSubnets FromConfig(IpamConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var service = ParsePrefix(config.ServiceCidr, "ipamConfig.serviceCIDR");
        Ip4? gateway = string.IsNullOrWhiteSpace(config.DefaultGateway) ? null : Ip4.Parse(config.DefaultGateway, "ipamConfig.defaultGateway");
        if (!string.IsNullOrWhiteSpace(config.ContivCidr))
        {
            var contiv = ParsePrefix(config.ContivCidr, "ipamConfig.contivCIDR");
            if (contiv.HostBits < 18)
            {
                throw new ConfigException($"ipamConfig.contivCIDR: {contiv} is too small; it needs at least 18 host bits (e.g. a /14)");
            }

            // Fixed split of SPEC §2.2: /16 slices for pods and host interconnect, /23 slices for nodes and VXLAN.
            Ip4Prefix? nodes = config.NodeInterconnectDhcp ? null : contiv.Subnet(32 - 9, 256);
            return new IpamSubnets
            {
                ContivCidr = contiv,
                PodSubnetCidr = contiv.Subnet(32 - 16, 0),
                VppHostSubnetCidr = contiv.Subnet(32 - 16, 1),
                PodSubnetOneNodePrefixLen = 32 - 7,
                VppHostSubnetOneNodePrefixLen = 32 - 7,
                NodeInterconnectCidr = nodes,
                VxlanCidr = contiv.Subnet(32 - 9, 257),
                ServiceCidr = service,
                DefaultGateway = gateway,
            };
        }

        var pods = ParsePrefix(config.PodSubnetCidr, "ipamConfig.podSubnetCIDR");
        var host = ParsePrefix(config.VppHostSubnetCidr, "ipamConfig.vppHostSubnetCIDR");
        CheckOneNodeLen(pods, config.PodSubnetOneNodePrefixLen, "ipamConfig.podSubnetOneNodePrefixLen");
        CheckOneNodeLen(host, config.VppHostSubnetOneNodePrefixLen, "ipamConfig.vppHostSubnetOneNodePrefixLen");
        return new IpamSubnets
        {
            PodSubnetCidr = pods,
            PodSubnetOneNodePrefixLen = config.PodSubnetOneNodePrefixLen,
            VppHostSubnetCidr = host,
            VppHostSubnetOneNodePrefixLen = config.VppHostSubnetOneNodePrefixLen,
            NodeInterconnectCidr = config.NodeInterconnectDhcp || string.IsNullOrWhiteSpace(config.NodeInterconnectCidr)
                ? null : ParsePrefix(config.NodeInterconnectCidr, "ipamConfig.nodeInterconnectCIDR"),
            VxlanCidr = ParsePrefix(config.VxlanCidr, "ipamConfig.vxlanCIDR"),
            ServiceCidr = service,
            DefaultGateway = gateway,
        };
    }

    /// <summary>
    /// Per-node subnet of SPEC §2.2: the <paramref name="nodeId"/>-th subnet of length <paramref name="oneNodeLen"/>,
    /// except that node ID 2^newBits maps to index 0.
    /// </summary>
    public static Ip4Prefix DissectForNode(Ip4Prefix all, int oneNodeLen, uint nodeId)
    {
        if (oneNodeLen <= all.Length || oneNodeLen > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(oneNodeLen), oneNodeLen,
                $"per-node prefix length /{oneNodeLen} must be longer than the cluster prefix {all} and at most /32");
        }

        var newBits = oneNodeLen - all.Length;
        var count = 1L << newBits;
        if (nodeId == 0 || nodeId > count)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId,
                $"node ID {nodeId} is out of range for {all} split into /{oneNodeLen} (valid 1..{count})");
        }

        var index = nodeId == count ? 0 : nodeId;
        return all.Subnet(oneNodeLen, index);
    }

    private static void CheckOneNodeLen(Ip4Prefix all, int len, string key)
    {
        if (len <= all.Length || len > 30)
        {
            throw new ConfigException($"{key}: /{len} must be longer than the cluster prefix {all} and at most /30");
        }
    }

    private static Ip4Prefix ParsePrefix(string? text, string key)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ConfigException($"{key}: a value is required");
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            throw new ConfigException($"{key}: '{text}' is IPv6; this agent supports IPv4 addressing only");
        }

        try
        {
            return Ip4Prefix.Parse(text, key);
        }
        catch (FormatException e)
        {
            throw new ConfigException(e.Message);
        }
    }
}
