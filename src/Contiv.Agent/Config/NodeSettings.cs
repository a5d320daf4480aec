using Contiv.Linux;
using Contiv.Agent.Addressing;
using Contiv.Agent.Ipam;

namespace Contiv.Agent.Config;

/// <summary>
/// contivconf's view for this node (SPEC §1.6.2): the node's section of <c>nodeConfig[]</c> merged over the
/// global options. Computed once per loaded configuration.
/// </summary>
internal sealed class NodeSettings
{
    private NodeSettings(ContivConfig config, string nodeName, NodeConfigEntry? node, IpamSubnets subnets)
    {
        Config = config;
        NodeName = nodeName;
        Subnets = subnets;
        MainInterfaceName = node?.MainVppInterface?.InterfaceName ?? string.Empty;
        if (!string.IsNullOrWhiteSpace(node?.MainVppInterface?.Ip))
        {
            var ip = node.MainVppInterface.Ip;
            try
            {
                MainInterfaceIp = Ip4Prefix.ParseAddressAndLength(ip, $"nodeConfig[{nodeName}].mainVPPInterface.ip");
            }
            catch (FormatException e)
            {
                throw new ConfigException(e.Message);
            }
        }

        // A static main-interface IP overrides DHCP.
        UseDhcp = MainInterfaceIp is null && (config.IpamConfig.NodeInterconnectDhcp || node?.MainVppInterface?.UseDhcp == true);
        var gw = !string.IsNullOrWhiteSpace(node?.Gateway) ? node.Gateway : config.IpamConfig.DefaultGateway;
        if (!string.IsNullOrWhiteSpace(gw))
        {
            DefaultGateway = Ip4.Parse(gw, node is not null && !string.IsNullOrWhiteSpace(node.Gateway) ? $"nodeConfig[{nodeName}].gateway" : "ipamConfig.defaultGateway");
        }

        NatExternalTraffic = config.NatExternalTraffic || node?.NatExternalTraffic == true;
        StnMode = config.StealFirstNic || !string.IsNullOrEmpty(config.StealInterface) || !string.IsNullOrEmpty(node?.StealInterface);
        OtherInterfaces = node?.OtherVppInterfaces ?? [];
    }

    /// <summary>The whole configuration.</summary>
    public ContivConfig Config { get; }

    /// <summary>This node's name.</summary>
    public string NodeName { get; }

    /// <summary>Effective IPAM subnets.</summary>
    public IpamSubnets Subnets { get; }

    /// <summary>Linux link used as the main NIC through AF_PACKET; empty = none (a loopback carries the node IP).</summary>
    public string MainInterfaceName { get; }

    /// <summary>Static node IP with prefix length, when configured.</summary>
    public (Ip4 Address, int Length)? MainInterfaceIp { get; }

    /// <summary>DHCP for the node IP (not supported by this data plane; rejected at start).</summary>
    public bool UseDhcp { get; }

    /// <summary>Static default gateway of this node.</summary>
    public Ip4? DefaultGateway { get; }

    /// <summary>SNAT traffic leaving the cluster.</summary>
    public bool NatExternalTraffic { get; }

    /// <summary>Steal-the-NIC mode requested.</summary>
    public bool StnMode { get; }

    /// <summary>Other VPP interfaces of this node.</summary>
    public IReadOnlyList<InterfaceConfig> OtherInterfaces { get; }

    /// <summary>Resolves the settings of <paramref name="nodeName"/>; errors name the key and value.</summary>
    public static NodeSettings For(ContivConfig config, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(config);
        var node = config.NodeConfig.FirstOrDefault(n => string.Equals(n.NodeName, nodeName, StringComparison.Ordinal));
        if (!string.Equals(config.NodeToNodeTransport, "vxlan", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigException($"nodeToNodeTransport: '{config.NodeToNodeTransport}' is not supported by this agent (only vxlan)");
        }

        if (config.IpamConfig.UseExternalIpam)
        {
            throw new ConfigException("ipamConfig.useExternalIPAM: true is not supported by this agent");
        }

        if (!config.UseTapInterfaces)
        {
            throw new ConfigException("useTAPInterfaces: false (VETH mode) is not supported by this data plane");
        }

        var subnets = IpamSubnets.FromConfig(config.IpamConfig);
        if (!string.IsNullOrWhiteSpace(node?.Gateway))
        {
            // The effective static gateway (node's own over global) is what node IP computation skips.
            subnets = subnets with { DefaultGateway = Ip4.Parse(node.Gateway, $"nodeConfig[{nodeName}].gateway") };
        }

        return new NodeSettings(config, nodeName, node, subnets);
    }
}
