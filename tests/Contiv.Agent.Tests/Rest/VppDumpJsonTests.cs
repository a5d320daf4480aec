using System.Text.Json.Nodes;
using Contiv.Agent.Rest;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Tests.Rest;

/// <summary>The <c>/dump/vpp/v2/…</c> and <c>/vpp/dump/v1/routes</c> views in vpp-agent's shapes.</summary>
public class VppDumpJsonTests
{
    private static DumpReply NodeDump()
    {
        var d = new DumpReply();
        d.Interfaces.Add(new Interface { Name = "vxlanBVI", Type = InterfaceType.Loopback, Enabled = true, LinkUp = true, PhysAddress = "12:2b:00:00:00:01", Vrf = 1, SwIfIndex = 3, DevName = "loop1", IpAddresses = { "192.168.30.1/24" } });
        d.Interfaces.Add(new Interface { Name = "vxlan-default-2", Type = InterfaceType.VxlanTunnel, Enabled = true, SwIfIndex = 5, DevName = "vxlan_tunnel0", Vxlan = new VxlanLink { SrcAddress = "192.168.16.1", DstAddress = "192.168.16.2", Vni = 10 } });
        d.Interfaces.Add(new Interface { Name = "vpp-tap-abc", Type = InterfaceType.Tap, Enabled = true, SwIfIndex = 7, DevName = "tap3", Mtu = 1450, Vrf = 1, UnnumberedTo = "podGwLoop", Tap = new TapLink { HostIfName = "eth0", HostNamespace = "/run/netns/x" } });
        d.BridgeDomains.Add(new BridgeDomain { Id = 1, Name = "vxlanBD", Forward = true, Interfaces = { new BridgeDomainMember { Name = "vxlanBVI", BridgedVirtualInterface = true, SplitHorizonGroup = 1 }, new BridgeDomainMember { Name = "vxlan-default-2", SplitHorizonGroup = 1 } } });
        d.L2Fibs.Add(new L2FibEntry { BridgeDomainId = 1, PhysAddress = "12:2b:00:00:00:02", OutgoingInterface = "vxlan-default-2", Static = true });
        d.Arps.Add(new ArpEntry { Interface = "vpp-tap-abc", IpAddress = "10.1.1.2", PhysAddress = "02:fe:00:00:00:01", Static = true });
        d.Routes.Add(new Route { VrfId = 1, DstNetwork = "10.1.2.0/24", NextHopAddr = "192.168.30.2", OutInterface = "vxlanBVI" });
        d.Routes.Add(new Route { VrfId = 0, DstNetwork = "10.1.0.0/16", Type = RouteType.InterVrf, ViaVrfId = 1 });
        return d;
    }

    [Fact]
    public void Interfaces_are_keyed_by_sw_if_index_with_vpp_agent_types_and_meta()
    {
        var json = VppDumpJson.Interfaces(NodeDump());

        Assert.Equal(["3", "5", "7"], json.Select(kv => kv.Key));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"interface":{"name":"vxlan-default-2","type":7,"enabled":true,"vxlan":{"src_address":"192.168.16.1","dst_address":"192.168.16.2","vni":10}},
             "interface_meta":{"sw_if_index":5,"internal_name":"vxlan_tunnel0","is_admin_state_up":true}}
            """), json["5"]), json["5"]!.ToJsonString());
        var tap = json["7"]!["interface"]!;
        Assert.Equal(5u, (uint)tap["type"]!);
        Assert.Equal("eth0", (string?)tap["tap"]!["host_if_name"]);
        Assert.Equal("podGwLoop", (string?)tap["unnumbered"]!["interface_with_ip"]);
        Assert.Equal("192.168.30.1/24", (string?)json["3"]!["interface"]!["ip_addresses"]![0]);
    }

    [Fact]
    public void Interface_type_filters_keep_only_that_type()
    {
        Assert.Equal(["5"], VppDumpJson.Interfaces(NodeDump(), InterfaceType.VxlanTunnel).Select(kv => kv.Key));
        Assert.Equal(["7"], VppDumpJson.Interfaces(NodeDump(), InterfaceType.Tap).Select(kv => kv.Key));
    }

    [Fact]
    public void Bridge_domains_list_members_with_their_indexes()
    {
        var bd = VppDumpJson.BridgeDomains(NodeDump()).Single()!;

        Assert.Equal("vxlanBD", (string?)bd["bridge_domain"]!["name"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"vxlanBVI","bridged_virtual_interface":true,"split_horizon_group":1},{"name":"vxlan-default-2","split_horizon_group":1}]"""), bd["bridge_domain"]!["interfaces"]));
        Assert.Equal(1u, (uint)bd["bridge_domain_meta"]!["bridge_domain_id"]!);
        Assert.Equal(5u, (uint)bd["bridge_domain_meta"]!["bridge_domain_id_to_interface"]![1]!["sw_if_index"]!);
    }

    [Fact]
    public void Arps_routes_and_fib_carry_the_entries_and_interface_indexes()
    {
        var dump = NodeDump();

        var arp = VppDumpJson.Arps(dump).Single()!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"Arp":{"interface":"vpp-tap-abc","ip_address":"10.1.1.2","phys_address":"02:fe:00:00:00:01","static":true},"Meta":{"SwIfIndex":7}}"""), arp), arp.ToJsonString());

        var routes = VppDumpJson.Routes(dump);
        Assert.Equal(["10.1.0.0/16", "10.1.2.0/24"], routes.Select(r => (string?)r!["Route"]!["dst_network"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":1,"dst_network":"10.1.0.0/16","via_vrf_id":1}"""), routes[0]!["Route"]), routes[0]!.ToJsonString());
        Assert.Equal(3u, (uint)routes[1]!["Meta"]!["OutgoingIfIdx"]!);

        var fib = VppDumpJson.L2Fib(dump)["12:2b:00:00:00:02"]!;
        Assert.Equal("vxlanBD", (string?)fib["fib"]!["bridge_domain"]);
        Assert.Equal(5u, (uint)fib["fib_meta"]!["outgoing_interface_sw_if_idx"]!);
    }
}
