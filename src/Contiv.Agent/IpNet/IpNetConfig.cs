using System.Globalization;
using Contiv.Agent.Addressing;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Ipam;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Model.Vpp;
using Route = Contiv.Model.Vpp.Route;

namespace Contiv.Agent.IpNet;

/// <summary>
/// The desired data plane and Linux configuration of SPEC §2.3–§2.6 as scheduler items. Pure functions
/// of the node's settings, addressing and the known nodes and pods, so a restarted agent computes
/// exactly what it configured before.
/// </summary>
internal static class IpNetConfig
{
    /// <summary>Pod gateway loopback.</summary>
    public const string PodGwLoop = "podGwLoop";

    /// <summary>Host interconnect TAP on the data plane side.</summary>
    public const string HostTap = "tap-vpp2";

    /// <summary>Linux name of the host interconnect TAP.</summary>
    public const string HostTapLinuxName = "vpp1";

    /// <summary>VXLAN BVI loopback.</summary>
    public const string VxlanBvi = "vxlanBVI";

    /// <summary>VXLAN bridge domain.</summary>
    public const string VxlanBd = "vxlanBD";

    /// <summary>Loopback carrying the node IP when there is no NIC.</summary>
    public const string LoopbackNic = "loopbackNIC";

    /// <summary>ID of the VXLAN bridge domain.</summary>
    public const uint VxlanBdId = 1;

    /// <summary>VXLAN network identifier of the default network.</summary>
    public const uint Vni = 10;

    /// <summary>Split horizon group of BD members.</summary>
    public const uint SplitHorizonGroup = 1;

    /// <summary>Data plane name of a pod's TAP (≤ 63 characters).</summary>
    public static string PodTapName(string containerId)
    {
        var name = "vpp-tap-" + containerId;
        return name.Length <= 63 ? name : name[..63];
    }

    /// <summary>Name of the tunnel to node <paramref name="id"/>.</summary>
    public static string TunnelName(uint id) => "vxlan-default-" + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Name of the main NIC on the data plane side.</summary>
    public static string MainInterface(AgentContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        return ctx.Stn is { } stn ? stn.Name : ctx.Settings.MainInterfaceName.Length > 0 ? ctx.Settings.MainInterfaceName : LoopbackNic;
    }

    /// <summary>Node-level items: VRFs, NIC, host interconnect, inter-VRF and drop routes, BVI (not the BD and not per-remote-node items).</summary>
    public static IEnumerable<KeyValuePair<string, object>> NodeItems(AgentContext ctx, IEnumerable<string> hostIps)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var a = ctx.RequireAddressing();
        var s = ctx.Settings;
        var cfg = s.Config;
        uint main = cfg.MainVrfId, pod = cfg.PodVrfId;

        yield return Item(VppKeys.Vrf(main), new VrfTable { Id = main, Label = "mainVRF-IPv4" });
        yield return Item(VppKeys.Vrf(pod), new VrfTable { Id = pod, Label = "podVRF-IPv4" });

        if (ctx.Stn is { } stn)
        {
            // STN: the stolen NIC, the interconnect and the host's routes (Stn/StnConfig.cs).
            foreach (var item in Stn.StnConfig.NodeItems(ctx, stn))
            {
                yield return item;
            }
        }
        else
        {
            // Main NIC (AF_PACKET on a Linux link) or a loopback carrying the node IP.
            var nic = MainInterface(ctx);
            var nicIf = new Interface { Name = nic, Enabled = true, Vrf = main };
            if (ctx.NodeIp is { } nodeIp)
            {
                nicIf.IpAddresses.Add(LinuxFormat.Prefix(nodeIp.Address, nodeIp.Length));
            }

            if (s.MainInterfaceName.Length > 0)
            {
                nicIf.Type = InterfaceType.AfPacket;
                nicIf.Afpacket = new AfPacketLink { HostIfName = s.MainInterfaceName };
            }
            else
            {
                nicIf.Type = InterfaceType.Loopback;
            }

            yield return Item(VppKeys.Interface(nic), nicIf);
            if (s.DefaultGateway is { } gw && s.MainInterfaceName.Length > 0)
            {
                yield return RouteItem(new Route { VrfId = main, DstNetwork = "0.0.0.0/0", NextHopAddr = gw.ToString(), OutInterface = nic });
            }
        }

        foreach (var other in s.OtherInterfaces)
        {
            var o = new Interface { Name = other.InterfaceName, Type = InterfaceType.AfPacket, Enabled = true, Vrf = main, Afpacket = new AfPacketLink { HostIfName = other.InterfaceName } };
            if (other.Ip.Length > 0)
            {
                o.IpAddresses.Add(other.Ip);
            }

            yield return Item(VppKeys.Interface(other.InterfaceName), o);
        }

        if (ctx.Stn is null)
        {
            // Host interconnect: tap-vpp2 (VPP, 172.30.N.1) <-> vpp1 (Linux, 172.30.N.2).
            var hostSubnetLen = a.HostSubnetThisNode.Length;
            var tap = new Interface
            {
                Name = HostTap,
                Type = InterfaceType.Tap,
                Enabled = true,
                Vrf = main,
                PhysAddress = MacAddresses.HostInterconnectMac(a.NodeId),
                Mtu = cfg.MtuSize,
                IpAddresses = { LinuxFormat.Prefix(a.HostInterconnectIpInVpp, hostSubnetLen) },
                Tap = new TapLink
                {
                    HostIfName = HostTapLinuxName,
                    HostUp = true,
                    EnableGso = cfg.EnableGso,
                    RxRingSize = cfg.Tapv2RxRingSize,
                    TxRingSize = cfg.Tapv2TxRingSize,
                },
            };
            yield return Item(VppKeys.Interface(HostTap), tap);
            var tapKey = VppKeys.Interface(HostTap);
            var hostAddr = new LinuxAddress(string.Empty, HostTapLinuxName, LinuxFormat.Prefix(a.HostInterconnectIpInLinux, hostSubnetLen), tapKey);
            yield return Item(LinuxKeys.Address(hostAddr), hostAddr);
            var addrKey = LinuxKeys.Address(hostAddr);
            var podRoute = new LinuxRoute(string.Empty, a.Subnets.PodSubnetCidr.ToString(), a.HostInterconnectIpInVpp.ToString(), HostTapLinuxName, false, addrKey);
            yield return Item(LinuxKeys.Route(podRoute), podRoute);
            if (cfg.RouteServiceCidrToVpp)
            {
                var svc = new LinuxRoute(string.Empty, a.Subnets.ServiceCidr.ToString(), a.HostInterconnectIpInVpp.ToString(), HostTapLinuxName, false, addrKey);
                yield return Item(LinuxKeys.Route(svc), svc);

                // NodePorts live on the nodes' data-plane IPs, which only the data plane owns: the host reaches
                // them (its own and other nodes') through the interconnect like the ClusterIPs.
                if (a.Subnets.NodeInterconnectCidr is { } nodes)
                {
                    var nodeRoute = new LinuxRoute(string.Empty, nodes.ToString(), a.HostInterconnectIpInVpp.ToString(), HostTapLinuxName, false, addrKey);
                    yield return Item(LinuxKeys.Route(nodeRoute), nodeRoute);
                }
            }

            // Host IPs reachable through the interconnect from VRF 0.
            foreach (var ip in hostIps.Distinct(StringComparer.Ordinal))
            {
                yield return RouteItem(new Route { VrfId = main, DstNetwork = ip + "/32", NextHopAddr = a.HostInterconnectIpInLinux.ToString(), OutInterface = HostTap });
            }
        }

        // VRF 0: cluster ranges are looked up in the pod VRF.
        yield return RouteItem(new Route { VrfId = main, DstNetwork = a.Subnets.PodSubnetCidr.ToString(), Type = RouteType.InterVrf, ViaVrfId = pod });
        yield return RouteItem(new Route { VrfId = main, DstNetwork = a.Subnets.VppHostSubnetCidr.ToString(), Type = RouteType.InterVrf, ViaVrfId = pod });

        // VRF 1: default and this node's host subnet via VRF 0; the rest of the cluster ranges is dropped.
        yield return RouteItem(new Route { VrfId = pod, DstNetwork = "0.0.0.0/0", Type = RouteType.InterVrf, ViaVrfId = main });
        yield return RouteItem(new Route { VrfId = pod, DstNetwork = a.HostSubnetThisNode.ToString(), Type = RouteType.InterVrf, ViaVrfId = main });
        yield return RouteItem(new Route { VrfId = pod, DstNetwork = a.Subnets.PodSubnetCidr.ToString(), Type = RouteType.Drop });
        yield return RouteItem(new Route { VrfId = pod, DstNetwork = a.Subnets.VppHostSubnetCidr.ToString(), Type = RouteType.Drop });

        // Pod gateway loopback and the VXLAN BVI.
        yield return Item(VppKeys.Interface(PodGwLoop), new Interface
        {
            Name = PodGwLoop,
            Type = InterfaceType.Loopback,
            Enabled = true,
            Vrf = pod,
            IpAddresses = { LinuxFormat.Prefix(a.PodGateway, a.PodSubnetThisNode.Length) },
        });
        var (bviIp, bviLen) = a.VxlanBviAddressOf(a.NodeId);
        yield return Item(VppKeys.Interface(VxlanBvi), new Interface
        {
            Name = VxlanBvi,
            Type = InterfaceType.Loopback,
            Enabled = true,
            Vrf = pod,
            PhysAddress = MacAddresses.VxlanBviMac(a.NodeId),
            IpAddresses = { LinuxFormat.Prefix(bviIp, bviLen) },
        });
    }

    /// <summary>True when a tunnel to <paramref name="remote"/> is built (this node has an IP; the remote has VPP and management IPs).</summary>
    public static bool HasConnectivity(AgentContext ctx, NodeInfo remote)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(remote);
        return remote.Name != ctx.NodeName && remote.Id != 0 && ctx.NodeIp is not null && remote.VppIps.Count > 0 && remote.MgmtIps.Count > 0;
    }

    /// <summary>Items for one remote node (SPEC §2.6 table), without BD membership.</summary>
    public static IEnumerable<KeyValuePair<string, object>> RemoteNodeItems(AgentContext ctx, NodeInfo remote)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(remote);
        if (!HasConnectivity(ctx, remote))
        {
            yield break;
        }

        var a = ctx.RequireAddressing();
        var cfg = ctx.Settings.Config;
        uint main = cfg.MainVrfId, pod = cfg.PodVrfId;
        var m = remote.Id;
        var tunnel = TunnelName(m);
        var dst = remote.FirstVppIp ?? a.NodeIpOf(m).Address;
        yield return Item(VppKeys.Interface(tunnel), new Interface
        {
            Name = tunnel,
            Type = InterfaceType.VxlanTunnel,
            Enabled = true,
            Vrf = main,
            Vxlan = new VxlanLink { SrcAddress = ctx.NodeIp!.Value.Address.ToString(), DstAddress = dst.ToString(), Vni = Vni, EncapVrfId = main },
        });
        var bviIp = a.VxlanBviAddressOf(m).Address.ToString();
        var bviMac = MacAddresses.VxlanBviMac(m);
        yield return Item(VppKeys.Arp(VxlanBvi, bviIp), new ArpEntry { Interface = VxlanBvi, IpAddress = bviIp, PhysAddress = bviMac, Static = true });
        yield return Item(VppKeys.L2Fib(VxlanBd, bviMac), new L2FibEntry { BridgeDomainId = VxlanBdId, PhysAddress = bviMac, OutgoingInterface = tunnel, Static = true });
        yield return RouteItem(new Route { VrfId = pod, DstNetwork = a.PodSubnetOf(m).ToString(), NextHopAddr = bviIp, OutInterface = VxlanBvi });
        yield return RouteItem(new Route { VrfId = pod, DstNetwork = a.HostSubnetOf(m).ToString(), NextHopAddr = bviIp, OutInterface = VxlanBvi });
        foreach (var mgmt in remote.MgmtIps.Distinct(StringComparer.Ordinal))
        {
            if (mgmt != bviIp)
            {
                yield return RouteItem(new Route { VrfId = pod, DstNetwork = mgmt + "/32", NextHopAddr = bviIp, OutInterface = VxlanBvi });
            }

            if (!ctx.Settings.StnMode)
            {
                yield return RouteItem(new Route { VrfId = main, DstNetwork = mgmt + "/32", Type = RouteType.InterVrf, ViaVrfId = pod });
            }
        }
    }

    /// <summary>The VXLAN bridge domain with the BVI and one tunnel per connected remote node (SPEC §2.6).</summary>
    public static KeyValuePair<string, object> BridgeDomain(AgentContext ctx, IEnumerable<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var bd = new BridgeDomain { Id = VxlanBdId, Name = VxlanBd, Learn = false, Forward = true, Flood = false, UnknownUnicastFlood = false };
        bd.Interfaces.Add(new BridgeDomainMember { Name = VxlanBvi, BridgedVirtualInterface = true, SplitHorizonGroup = SplitHorizonGroup });
        foreach (var n in nodes.Where(n => HasConnectivity(ctx, n)).OrderBy(n => n.Id))
        {
            bd.Interfaces.Add(new BridgeDomainMember { Name = TunnelName(n.Id), SplitHorizonGroup = SplitHorizonGroup });
        }

        return Item(VppKeys.BridgeDomain(VxlanBd), bd);
    }

    /// <summary>Items wiring one local pod (SPEC §2.4).</summary>
    public static IEnumerable<KeyValuePair<string, object>> PodItems(AgentContext ctx, LocalPod pod)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(pod);
        var a = ctx.RequireAddressing();
        var cfg = ctx.Settings.Config;
        var tapName = PodTapName(pod.ContainerId);
        var podMac = MacAddresses.PodMac(pod.ContainerId);
        var vppMac = MacAddresses.VppMac(pod.ContainerId);
        var gw = a.PodGateway.ToString();
        var netns = pod.NetworkNamespace;
        var ifName = pod.InterfaceName.Length > 0 ? pod.InterfaceName : "eth0";
        var tapKey = VppKeys.Interface(tapName);
        yield return Item(tapKey, new Interface
        {
            Name = tapName,
            Type = InterfaceType.Tap,
            Enabled = true,
            Vrf = cfg.PodVrfId,
            UnnumberedTo = PodGwLoop,
            SourceCheck = true, // a pod may only send with its own address
            PhysAddress = vppMac,
            Mtu = cfg.MtuSize,
            Tap = new TapLink
            {
                HostIfName = ifName,
                HostNamespace = netns,
                HostMac = podMac,
                HostMtu = cfg.MtuSize,
                HostUp = true,
                EnableGso = cfg.EnableGso,
                RxRingSize = cfg.Tapv2RxRingSize,
                TxRingSize = cfg.Tapv2TxRingSize,
            },
        });

        var lo = new LinuxLinkUp(netns, "lo", string.Empty);
        yield return Item(LinuxKeys.LinkUp(lo), lo);
        var addr = new LinuxAddress(netns, ifName, pod.IpAddress + "/32", tapKey);
        yield return Item(LinuxKeys.Address(addr), addr);
        var arp = new LinuxArp(netns, ifName, gw, vppMac, tapKey);
        yield return Item(LinuxKeys.Arp(arp), arp);
        var gwRoute = new LinuxRoute(netns, gw + "/32", string.Empty, ifName, true, LinuxKeys.Address(addr));
        yield return Item(LinuxKeys.Route(gwRoute), gwRoute);
        var defRoute = new LinuxRoute(netns, "0.0.0.0/0", gw, ifName, false, LinuxKeys.Route(gwRoute));
        yield return Item(LinuxKeys.Route(defRoute), defRoute);

        yield return Item(VppKeys.Arp(tapName, pod.IpAddress), new ArpEntry { Interface = tapName, IpAddress = pod.IpAddress, PhysAddress = podMac, Static = true });
        yield return RouteItem(new Route { VrfId = cfg.PodVrfId, DstNetwork = pod.IpAddress + "/32", NextHopAddr = pod.IpAddress, OutInterface = tapName });
    }

    private static KeyValuePair<string, object> Item(string key, object value) => KeyValuePair.Create(key, value);

    private static KeyValuePair<string, object> RouteItem(Route r) => Item(VppKeys.Route(r), r);
}
