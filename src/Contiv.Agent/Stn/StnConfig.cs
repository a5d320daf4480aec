using Contiv.Agent.Addressing;
using Contiv.Agent.Dataplane;
using Contiv.Agent.IpNet;
using Contiv.Agent.LinuxConfig;
using Contiv.Linux;
using Contiv.Model.Vpp;
using Route = Contiv.Model.Vpp.Route;

namespace Contiv.Agent.Stn;

/// <summary>
/// The main NIC and the host interconnect in STN mode (SPEC §1.8 "Agent side"), as scheduler items replacing
/// <see cref="IpNetConfig"/>'s non-STN ones: the stolen NIC in VRF 0 with the stolen addresses; <c>tap-vpp2</c>
/// unnumbered to it, answering ARP for the node subnet (and the on-link routes' subnets) by proxy; the host's
/// <c>vpp1</c> with the node IP and the fixed MAC; the STN rule that hands the host what is addressed to the node
/// IP and not consumed by the data plane, with the static neighbour its rewrite needs; the host's original
/// routes through <c>vpp1</c> and in the data plane through the NIC. Pure function of the context, like ipnet.
/// </summary>
internal static class StnConfig
{
    /// <summary>MAC of the host side of the interconnect in STN mode (SPEC §1.8).</summary>
    public const string HostMac = "00:00:00:00:00:02";

    /// <summary>Items for the NIC, the interconnect, the STN rule and the original routes.</summary>
    public static IEnumerable<KeyValuePair<string, object>> NodeItems(AgentContext ctx, StolenInterface stn)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(stn);
        var a = ctx.RequireAddressing();
        var cfg = ctx.Settings.Config;
        var main = cfg.MainVrfId;
        var nic = stn.Name;
        var nodeIp = stn.NodeIp;

        // The stolen NIC, now the data plane's, with every IPv4 address the host had on it.
        var nicIf = new Interface
        {
            Name = nic,
            Type = InterfaceType.AfPacket,
            Enabled = true,
            Vrf = main,
            Afpacket = new AfPacketLink { HostIfName = nic },
        };
        foreach (var addr in stn.Addresses)
        {
            nicIf.IpAddresses.Add(addr.ToString());
        }

        yield return Item(VppKeys.Interface(nic), nicIf);

        // tap-vpp2 borrows the NIC's addresses; vpp1 on the host gets the node IP and the fixed MAC.
        var tapKey = VppKeys.Interface(IpNetConfig.HostTap);
        yield return Item(tapKey, new Interface
        {
            Name = IpNetConfig.HostTap,
            Type = InterfaceType.Tap,
            Enabled = true,
            Vrf = main,
            PhysAddress = MacAddresses.HostInterconnectMac(a.NodeId),
            Mtu = cfg.MtuSize,
            UnnumberedTo = nic,
            Tap = new TapLink
            {
                HostIfName = IpNetConfig.HostTapLinuxName,
                HostMac = HostMac,
                HostUp = true,
                EnableGso = cfg.EnableGso,
                RxRingSize = cfg.Tapv2RxRingSize,
                TxRingSize = cfg.Tapv2TxRingSize,
            },
        });
        var hostAddr = new LinuxAddress(string.Empty, IpNetConfig.HostTapLinuxName, nodeIp.ToString(), tapKey);
        var hostAddrKey = LinuxKeys.Address(hostAddr);
        yield return Item(hostAddrKey, hostAddr);

        // Packets for the node IP that the data plane does not take leave through tap-vpp2 towards vpp1's MAC.
        var nodeAddress = nodeIp.Address.ToString();
        yield return Item(VppKeys.Arp(IpNetConfig.HostTap, nodeAddress), new ArpEntry { Interface = IpNetConfig.HostTap, IpAddress = nodeAddress, PhysAddress = HostMac, Static = true });
        yield return Item(StnKeys.Rule(nodeAddress), new StnRule { IpAddress = nodeAddress, Interface = IpNetConfig.HostTap });

        // The host believes its subnet (and its on-link routes) directly attached: tap-vpp2 answers for them.
        foreach (var range in ProxyArpRanges(stn))
        {
            var p = new ProxyArpRange { VrfId = main, FirstIp = range.First.ToString(), LastIp = range.Last.ToString(), Interfaces = { IpNetConfig.HostTap } };
            yield return Item(StnKeys.ProxyArp(p), p);
        }

        // The host's original routes: through vpp1 on the host, through the NIC in the data plane.
        foreach (var r in stn.Routes)
        {
            if (IsConnected(stn, r))
            {
                continue;
            }

            var dst = $"{r.Destination.Network}/{r.Destination.Length}";
            var gw = r.Gateway?.ToString() ?? string.Empty;
            var host = new LinuxRoute(string.Empty, dst, gw, IpNetConfig.HostTapLinuxName, r.Gateway is null, hostAddrKey);
            yield return Item(LinuxKeys.Route(host), host);
            yield return RouteItem(new Route { VrfId = main, DstNetwork = dst, NextHopAddr = gw, OutInterface = nic });
        }

        // What the host reaches through the data plane (pods, and services when asked) goes via the gateway the
        // proxy ARP answers for: the data plane routes it from there.
        var via = stn.HostGateway.ToString();
        var podRoute = new LinuxRoute(string.Empty, a.Subnets.PodSubnetCidr.ToString(), via, IpNetConfig.HostTapLinuxName, false, hostAddrKey);
        yield return Item(LinuxKeys.Route(podRoute), podRoute);
        if (cfg.RouteServiceCidrToVpp)
        {
            var svc = new LinuxRoute(string.Empty, a.Subnets.ServiceCidr.ToString(), via, IpNetConfig.HostTapLinuxName, false, hostAddrKey);
            yield return Item(LinuxKeys.Route(svc), svc);
        }
    }

    /// <summary>
    /// Proxy ARP ranges: the node subnet without its network and broadcast addresses when it has more than two
    /// (SPEC §1.8), and the subnet of every on-link route the host had, which it will ARP for on vpp1.
    /// </summary>
    public static IEnumerable<(Ip4 First, Ip4 Last)> ProxyArpRanges(StolenInterface stn)
    {
        ArgumentNullException.ThrowIfNull(stn);
        yield return Range(stn.NodeIp);
        foreach (var r in stn.Routes)
        {
            if (r.Gateway is null && r.Destination.Length > 0 && !IsConnected(stn, r))
            {
                yield return Range(r.Destination);
            }
        }
    }

    private static (Ip4 First, Ip4 Last) Range(Ip4Prefix p)
        => p.Size > 2 ? (p.Network.Add(1), p.Broadcast.Add(-1)) : (p.Network, p.Broadcast);

    // The routes the kernel made for the stolen addresses: the NIC has those addresses, and vpp1 gets the node IP.
    private static bool IsConnected(StolenInterface stn, StolenRoute r)
    {
        if (r.Gateway is not null)
        {
            return false;
        }

        foreach (var addr in stn.Addresses)
        {
            if (addr.Length == r.Destination.Length && addr.Network == r.Destination.Network)
            {
                return true;
            }
        }

        return false;
    }

    private static KeyValuePair<string, object> Item(string key, object value) => KeyValuePair.Create(key, value);

    private static KeyValuePair<string, object> RouteItem(Route r) => Item(VppKeys.Route(r), r);
}
