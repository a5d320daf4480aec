using System.Collections;
using Contiv.Agent.Config;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Ipam;
using Contiv.Agent.IpNet;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Model.Vpp;
using Route = Contiv.Model.Vpp.Route;

namespace Contiv.Agent.Tests.IpNet;

/// <summary>The desired configuration against SPEC §2.3–§2.6 (defaults, node 1, node 2 present).</summary>
public class IpNetConfigTests
{
    private static AgentContext Node1(string yaml = "")
    {
        var settings = NodeSettings.For(ConfigLoader.Parse(yaml, new Hashtable()), "node1");
        var ctx = new AgentContext(settings) { NodeId = 1 };
        ctx.Addressing = new NodeAddressing(settings.Subnets, 1);
        ctx.NodeIp = ctx.Addressing.NodeIpOf(1);
        return ctx;
    }

    private static Dictionary<string, object> Items(IEnumerable<KeyValuePair<string, object>> items) => items.ToDictionary(kv => kv.Key, kv => kv.Value);

    private static NodeInfo Node2 => new("node2", 2, ["192.168.16.2/24"], ["10.20.0.2"], string.Empty);

    [Fact]
    public void Node_items_follow_the_vrf_layout()
    {
        var ctx = Node1();
        var items = Items(IpNetConfig.NodeItems(ctx, ["10.20.0.1"]));
        var routes = items.Values.OfType<Route>().ToList();

        var nic = (Interface)items["vpp/interface/loopbackNIC"];
        Assert.Equal(["192.168.16.1/24"], nic.IpAddresses);
        Assert.Equal(0u, nic.Vrf);

        var tap = (Interface)items["vpp/interface/tap-vpp2"];
        Assert.Equal(("172.30.1.1/24", "34:3c:00:00:00:01", 0u, "vpp1"), (tap.IpAddresses.Single(), tap.PhysAddress, tap.Vrf, tap.Tap.HostIfName));
        var vpp1 = items.Values.OfType<LinuxAddress>().Single();
        Assert.Equal(("vpp1", "172.30.1.2/24"), (vpp1.Interface, vpp1.Address));
        var hostRoute = items.Values.OfType<LinuxRoute>().Single();
        Assert.Equal(("10.1.0.0/16", "172.30.1.1", "vpp1"), (hostRoute.Destination, hostRoute.Gateway, hostRoute.Interface));

        var gw = (Interface)items["vpp/interface/podGwLoop"];
        Assert.Equal((1u, "10.1.1.1/24"), (gw.Vrf, gw.IpAddresses.Single()));
        var bvi = (Interface)items["vpp/interface/vxlanBVI"];
        Assert.Equal((1u, "192.168.30.1/24", "12:2b:00:00:00:01"), (bvi.Vrf, bvi.IpAddresses.Single(), bvi.PhysAddress));

        Assert.Contains(routes, r => r is { VrfId: 0, DstNetwork: "10.1.0.0/16", Type: RouteType.InterVrf, ViaVrfId: 1 });
        Assert.Contains(routes, r => r is { VrfId: 0, DstNetwork: "172.30.0.0/16", Type: RouteType.InterVrf, ViaVrfId: 1 });
        Assert.Contains(routes, r => r is { VrfId: 1, DstNetwork: "0.0.0.0/0", Type: RouteType.InterVrf, ViaVrfId: 0 });
        Assert.Contains(routes, r => r is { VrfId: 1, DstNetwork: "172.30.1.0/24", Type: RouteType.InterVrf, ViaVrfId: 0 });
        Assert.Contains(routes, r => r is { VrfId: 1, DstNetwork: "10.1.0.0/16", Type: RouteType.Drop });
        Assert.Contains(routes, r => r is { VrfId: 1, DstNetwork: "172.30.0.0/16", Type: RouteType.Drop });
        Assert.Contains(routes, r => r is { VrfId: 0, DstNetwork: "10.20.0.1/32", NextHopAddr: "172.30.1.2", OutInterface: "tap-vpp2" });
        Assert.DoesNotContain(routes, r => r.DstNetwork == "0.0.0.0/0" && r.VrfId == 0);
    }

    [Fact]
    public void Main_nic_with_static_gateway_gets_a_default_route()
    {
        var ctx = Node1("""
            nodeConfig:
              - nodeName: node1
                mainVPPInterface: { interfaceName: eth1 }
                gateway: 192.168.16.100
            """);
        var items = Items(IpNetConfig.NodeItems(ctx, []));
        var nic = (Interface)items["vpp/interface/eth1"];
        Assert.Equal((InterfaceType.AfPacket, "eth1"), (nic.Type, nic.Afpacket.HostIfName));
        Assert.Contains(items.Values.OfType<Route>(), r => r is { VrfId: 0, DstNetwork: "0.0.0.0/0", NextHopAddr: "192.168.16.100", OutInterface: "eth1" });
    }

    [Fact]
    public void Remote_node_items_match_the_vxlan_mesh_table()
    {
        var ctx = Node1();
        var items = Items(IpNetConfig.RemoteNodeItems(ctx, Node2));
        var tunnel = (Interface)items["vpp/interface/vxlan-default-2"];
        Assert.Equal(("192.168.16.1", "192.168.16.2", 10u, 0u), (tunnel.Vxlan.SrcAddress, tunnel.Vxlan.DstAddress, tunnel.Vxlan.Vni, tunnel.Vxlan.EncapVrfId));
        var arp = items.Values.OfType<ArpEntry>().Single();
        Assert.Equal(("vxlanBVI", "192.168.30.2", "12:2b:00:00:00:02", true), (arp.Interface, arp.IpAddress, arp.PhysAddress, arp.Static));
        var fib = items.Values.OfType<L2FibEntry>().Single();
        Assert.Equal(("12:2b:00:00:00:02", "vxlan-default-2", true), (fib.PhysAddress, fib.OutgoingInterface, fib.Static));
        var routes = items.Values.OfType<Route>().ToList();
        Assert.Contains(routes, r => r is { VrfId: 1, DstNetwork: "10.1.2.0/24", NextHopAddr: "192.168.30.2", OutInterface: "vxlanBVI" });
        Assert.Contains(routes, r => r is { VrfId: 1, DstNetwork: "172.30.2.0/24", NextHopAddr: "192.168.30.2", OutInterface: "vxlanBVI" });
        Assert.Contains(routes, r => r is { VrfId: 1, DstNetwork: "10.20.0.2/32", NextHopAddr: "192.168.30.2", OutInterface: "vxlanBVI" });
        Assert.Contains(routes, r => r is { VrfId: 0, DstNetwork: "10.20.0.2/32", Type: RouteType.InterVrf, ViaVrfId: 1 });
        Assert.Equal(4, routes.Count);
    }

    [Fact]
    public void Remote_node_without_management_ip_gets_no_tunnel()
    {
        Assert.Empty(IpNetConfig.RemoteNodeItems(Node1(), Node2 with { MgmtIps = [] }));
        Assert.Empty(IpNetConfig.RemoteNodeItems(Node1(), Node2 with { VppIps = [] }));
    }

    [Fact]
    public void Bridge_domain_holds_the_bvi_and_one_tunnel_per_remote_node()
    {
        var ctx = Node1();
        var alone = (BridgeDomain)IpNetConfig.BridgeDomain(ctx, []).Value;
        Assert.Equal(["vxlanBVI"], alone.Interfaces.Select(m => m.Name));
        var node3 = new NodeInfo("node3", 3, ["192.168.16.3/24"], ["10.20.0.3"], string.Empty);
        var bd = (BridgeDomain)IpNetConfig.BridgeDomain(ctx, [node3, Node2]).Value;
        Assert.Equal(("vxlanBD", false, true, false, false), (bd.Name, bd.Learn, bd.Forward, bd.Flood, bd.UnknownUnicastFlood));
        Assert.Equal(["vxlanBVI", "vxlan-default-2", "vxlan-default-3"], bd.Interfaces.Select(m => m.Name));
        Assert.True(bd.Interfaces[0].BridgedVirtualInterface);
        Assert.All(bd.Interfaces, m => Assert.Equal(1u, m.SplitHorizonGroup));
    }

    [Fact]
    public void Pod_items_follow_the_pod_wiring_table()
    {
        var ctx = Node1();
        var pod = new LocalPod("web", "default", "abc123", "/var/run/netns/web", "eth0", "10.1.1.2");
        var items = Items(IpNetConfig.PodItems(ctx, pod));
        var tap = (Interface)items["vpp/interface/vpp-tap-abc123"];
        Assert.Equal((1u, "podGwLoop", "02:fe:e1:4f:d7:94", 1450u), (tap.Vrf, tap.UnnumberedTo, tap.PhysAddress, tap.Mtu));
        Assert.True(tap.SourceCheck); // a pod may only send with its own address
        Assert.Equal(("eth0", "/var/run/netns/web", "02:fe:1e:b0:28:6b"), (tap.Tap.HostIfName, tap.Tap.HostNamespace, tap.Tap.HostMac));
        Assert.Equal("10.1.1.2/32", items.Values.OfType<LinuxAddress>().Single().Address);
        var arp = items.Values.OfType<LinuxArp>().Single();
        Assert.Equal(("10.1.1.1", "02:fe:e1:4f:d7:94"), (arp.Ip, arp.Mac));
        var linuxRoutes = items.Values.OfType<LinuxRoute>().ToList();
        Assert.Contains(linuxRoutes, r => r is { Destination: "10.1.1.1/32", Gateway: "", ScopeLink: true });
        Assert.Contains(linuxRoutes, r => r is { Destination: "0.0.0.0/0", Gateway: "10.1.1.1" });
        Assert.Contains(items.Values.OfType<ArpEntry>(), a => a is { Interface: "vpp-tap-abc123", IpAddress: "10.1.1.2", PhysAddress: "02:fe:1e:b0:28:6b" });
        Assert.Contains(items.Values.OfType<Route>(), r => r is { VrfId: 1, DstNetwork: "10.1.1.2/32", NextHopAddr: "10.1.1.2", OutInterface: "vpp-tap-abc123" });
    }

    [Fact]
    public void Long_container_ids_are_cut_to_63_characters()
    {
        Assert.Equal(63, IpNetConfig.PodTapName(new string('a', 64)).Length);
    }

    [Theory]
    [InlineData("IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=dns-1;K8S_POD_INFRA_CONTAINER_ID=x", "dns-1", "kube-system")]
    [InlineData("K8S_POD_NAME=web", "web", "default")]
    public void Pod_identity_is_parsed_from_cni_args(string args, string name, string ns)
    {
        Assert.Equal(new PodId(name, ns), RemoteCniService.TryParsePodId(args));
    }

    [Fact]
    public void Missing_pod_name_in_cni_args_gives_no_identity()
    {
        Assert.Null(RemoteCniService.TryParsePodId("K8S_POD_NAMESPACE=default"));
    }

    [Fact]
    public void RouteServiceCIDRToVPP_routes_the_service_range_of_the_node_host_through_the_data_plane()
    {
        var off = Items(IpNetConfig.NodeItems(Node1(), ["10.20.0.1"])).Values.OfType<LinuxRoute>();
        Assert.DoesNotContain(off, r => r.Destination == "10.96.0.0/12");

        var on = Items(IpNetConfig.NodeItems(Node1("routeServiceCIDRToVPP: true\nipamConfig: { serviceCIDR: 10.100.0.0/16 }\n"), ["10.20.0.1"])).Values.OfType<LinuxRoute>().ToList();
        var route = Assert.Single(on, r => r.Destination == "10.100.0.0/16");
        // In the node's host namespace (""), like the pod subnet route: via tap-vpp2's address on vpp1.
        Assert.Equal((string.Empty, "172.30.1.1", "vpp1"), (route.Netns, route.Gateway, route.Interface));
    }
}
