using Contiv.Agent.Config;
using Contiv.Agent.IpNet;
using Contiv.Linux;

namespace Contiv.Agent.Services;

/// <summary>A data plane interface with its IPv4 address, as candidate for NAT's default (SNAT) interface.</summary>
/// <param name="Name">Data plane interface name.</param>
/// <param name="Ip">Address.</param>
/// <param name="PrefixLength">Prefix length of the attached subnet.</param>
internal sealed record NodeNic(string Name, Ip4 Ip, int PrefixLength)
{
    /// <summary>The attached subnet.</summary>
    public Ip4Prefix Subnet => new(Ip, PrefixLength);
}

/// <summary>
/// What service processing and NAT44 rendering need to know about this node: its subnets, own addresses,
/// VRFs, NICs and the service options. Immutable; a new one (and a full resync) when any of it changes.
/// </summary>
internal sealed record ServiceNodeContext
{
    /// <summary>This node's name.</summary>
    public required string NodeName { get; init; }

    /// <summary>Cluster pod range (backends outside it are host-network).</summary>
    public required Ip4Prefix ClusterPodSubnet { get; init; }

    /// <summary>This node's pod subnet (backends inside it are local).</summary>
    public required Ip4Prefix PodSubnetThisNode { get; init; }

    /// <summary>NAT loopback (broadcast − 1 of the node pod subnet): the twice-NAT source address.</summary>
    public required Ip4 NatLoopback { get; init; }

    /// <summary>Data plane name of the main NIC (<c>loopbackNIC</c> when the node has none).</summary>
    public required string MainInterface { get; init; }

    /// <summary>This node's VPP (main NIC) address, once known.</summary>
    public NodeNic? MainNic { get; init; }

    /// <summary>True when the main NIC is a real link (not the <c>loopbackNIC</c> stand-in).</summary>
    public bool MainNicIsLink { get; init; }

    /// <summary>Further NICs with a static address.</summary>
    public ValueArray<NodeNic> OtherNics { get; init; }

    /// <summary>Names of further NICs (with or without address): NAT frontends.</summary>
    public ValueArray<string> OtherNicNames { get; init; }

    /// <summary>Addresses of this node's host stack (management IPs, host interface addresses).</summary>
    public ValueArray<Ip4> HostIps { get; init; }

    /// <summary>Main VRF ID (0).</summary>
    public uint MainVrfId { get; init; }

    /// <summary>Pod VRF ID (1).</summary>
    public uint PodVrfId { get; init; } = 1;

    /// <summary>Static default gateway of this node, if any.</summary>
    public Ip4? DefaultGateway { get; init; }

    /// <summary>SNAT pod traffic leaving the cluster.</summary>
    public bool NatExternalTraffic { get; init; }

    /// <summary>Weight of a local backend (remote ones weigh 1); ≥ 1.</summary>
    public uint ServiceLocalEndpointWeight { get; init; } = 1;

    /// <summary>Drop fragments instead of virtual reassembly.</summary>
    public bool DropFragments { get; init; }

    /// <summary>True when <paramref name="ip"/> is this node's VPP IP or one of its host IPs.</summary>
    public bool IsNodeOrHostIp(Ip4 ip) => MainNic?.Ip == ip || HostIps.Contains(ip);

    /// <summary>
    /// The interface whose traffic leaves the cluster and is SNATed (SPEC §3.2 "default interface"): only with
    /// natExternalTraffic, the NIC (main or other) whose subnet holds the static default gateway.
    /// </summary>
    public NodeNic? DefaultInterface
    {
        get
        {
            if (!NatExternalTraffic || DefaultGateway is not { } gw)
            {
                return null;
            }

            if (MainNicIsLink && MainNic is { } main && main.Subnet.Contains(gw))
            {
                return main;
            }

            return OtherNics.FirstOrDefault(n => n.Subnet.Contains(gw));
        }
    }

    /// <summary>Builds the context from the agent's state; <paramref name="hostIps"/> are the host stack's addresses.</summary>
    public static ServiceNodeContext From(AgentContext ctx, IEnumerable<string> hostIps)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(hostIps);
        var a = ctx.RequireAddressing();
        var settings = ctx.Settings;
        var cfg = settings.Config;
        var weight = cfg.Service.ServiceLocalEndpointWeight;
        if (weight == 0)
        {
            throw new ConfigException("service.serviceLocalEndpointWeight: 0 would never choose a local backend; use 1 or more");
        }

        var others = new List<NodeNic>();
        foreach (var o in settings.OtherInterfaces)
        {
            if (!string.IsNullOrWhiteSpace(o.Ip))
            {
                try
                {
                    var (ip, len) = Ip4Prefix.ParseAddressAndLength(o.Ip, $"nodeConfig[{ctx.NodeName}].otherVPPInterfaces[{o.InterfaceName}].ip");
                    others.Add(new NodeNic(o.InterfaceName, ip, len));
                }
                catch (FormatException e)
                {
                    throw new ConfigException(e.Message);
                }
            }
        }

        return new ServiceNodeContext
        {
            NodeName = ctx.NodeName,
            ClusterPodSubnet = a.Subnets.PodSubnetCidr,
            PodSubnetThisNode = a.PodSubnetThisNode,
            NatLoopback = a.NatLoopback,
            MainInterface = IpNetConfig.MainInterface(ctx),
            MainNic = ctx.NodeIp is { } n ? new NodeNic(IpNetConfig.MainInterface(ctx), n.Address, n.Length) : null,
            MainNicIsLink = settings.MainInterfaceName.Length > 0,
            OtherNics = new ValueArray<NodeNic>(others),
            OtherNicNames = new ValueArray<string>(settings.OtherInterfaces.Select(o => o.InterfaceName)),
            HostIps = new ValueArray<Ip4>(hostIps.Select(h => Ip4.TryParse(h.Split('/')[0], out var ip) ? (Ip4?)ip : null).OfType<Ip4>().Distinct().Order()),
            MainVrfId = cfg.MainVrfId,
            PodVrfId = cfg.PodVrfId,
            DefaultGateway = settings.DefaultGateway,
            NatExternalTraffic = settings.NatExternalTraffic,
            ServiceLocalEndpointWeight = weight,
            DropFragments = cfg.Service.DisableNatVirtualReassembly,
        };
    }
}
