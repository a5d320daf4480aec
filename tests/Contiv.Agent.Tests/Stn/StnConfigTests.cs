using System.Collections;
using Contiv.Agent.Config;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Ipam;
using Contiv.Agent.IpNet;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.Stn;
using Contiv.Model.Stn;
using Contiv.Model.Vpp;
using Route = Contiv.Model.Vpp.Route;

namespace Contiv.Agent.Tests.Stn;

/// <summary>
/// The agent's desired configuration in STN mode (SPEC §1.8 "Agent side") from a contiv-stn reply like the one
/// docs/stn.md shows: two IPv4 and two IPv6 addresses, default routes of both families, a route via a gateway,
/// an on-link route and the connected routes.
/// </summary>
public class StnConfigTests
{
    private static STNReply Reply()
    {
        var r = new STNReply { KernelDriver = "veth" };
        r.IpAddresses.Add(["192.168.16.5/24", "10.20.0.5/16", "fd00:16::5/64", "fe80::fc2b:f7ff:fe5a:385f/64"]);
        foreach (var (dst, gw) in new[]
        {
            ("0.0.0.0/0", "192.168.16.1"), ("10.20.0.0/16", ""), ("10.99.0.0/16", "192.168.16.254"), ("172.16.5.0/24", ""),
            ("192.168.16.0/24", ""), ("fd00:16::/64", ""), ("fd00:99::/48", "fd00:16::fe"), ("::/0", "fd00:16::1"),
        })
        {
            r.Routes.Add(new STNReply.Types.Route { DestinationSubnet = dst, NextHopIp = gw });
        }

        return r;
    }

    private static AgentContext Node1(STNReply reply)
    {
        var settings = NodeSettings.For(ConfigLoader.Parse("stealInterface: eth0\n", new Hashtable()), "node1");
        var ctx = new AgentContext(settings) { NodeId = 1, Stn = StolenInterface.FromReply("eth0", reply) };
        ctx.Addressing = new NodeAddressing(settings.Subnets, 1);
        ctx.NodeIp = (ctx.Stn.NodeIp.Address, ctx.Stn.NodeIp.Length);
        return ctx;
    }

    private static Dictionary<string, object> Items(AgentContext ctx) => IpNetConfig.NodeItems(ctx, ["192.168.16.5"]).ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void The_reply_keeps_ipv4_addresses_and_routes_and_finds_the_default_gateway()
    {
        var stn = StolenInterface.FromReply("eth0", Reply());
        Assert.Equal(["192.168.16.5/24", "10.20.0.5/16"], stn.Addresses.Select(a => a.ToString()));
        Assert.Equal(5, stn.Routes.Count);
        Assert.Equal("192.168.16.1", stn.DefaultGateway?.ToString());
        Assert.Equal("192.168.16.1", stn.HostGateway.ToString());
    }

    [Fact]
    public void Without_a_default_route_the_host_uses_a_made_up_gateway_in_the_node_subnet()
    {
        var r = new STNReply();
        r.IpAddresses.Add("192.168.16.1/24");
        Assert.Equal("192.168.16.254", StolenInterface.FromReply("eth0", r).HostGateway.ToString());
        r.IpAddresses[0] = "192.168.16.7/24";
        Assert.Equal("192.168.16.1", StolenInterface.FromReply("eth0", r).HostGateway.ToString());
    }

    [Fact]
    public void A_reply_without_ipv4_address_is_an_error_naming_the_interface()
    {
        var r = new STNReply();
        r.IpAddresses.Add("fd00::5/64");
        var e = Assert.Throws<FormatException>(() => StolenInterface.FromReply("eth7", r));
        Assert.Contains("eth7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_stolen_nic_carries_the_stolen_addresses_and_the_tap_is_unnumbered_to_it()
    {
        var items = Items(Node1(Reply()));
        var nic = (Interface)items["vpp/interface/eth0"];
        Assert.Equal((InterfaceType.AfPacket, "eth0", 0u), (nic.Type, nic.Afpacket.HostIfName, nic.Vrf));
        Assert.Equal(["192.168.16.5/24", "10.20.0.5/16"], nic.IpAddresses);
        Assert.False(items.ContainsKey("vpp/interface/loopbackNIC"));

        var tap = (Interface)items["vpp/interface/tap-vpp2"];
        Assert.Equal(("eth0", "vpp1", StnConfig.HostMac), (tap.UnnumberedTo, tap.Tap.HostIfName, tap.Tap.HostMac));
        Assert.Empty(tap.IpAddresses);
        var vpp1 = Assert.Single(items.Values.OfType<LinuxAddress>());
        Assert.Equal(("vpp1", "192.168.16.5/24"), (vpp1.Interface, vpp1.Address));
        Assert.Equal("node1", Node1(Reply()).NodeName);
        Assert.Equal("eth0", IpNetConfig.MainInterface(Node1(Reply())));
    }

    [Fact]
    public void The_stn_rule_its_neighbour_and_proxy_arp_point_at_the_host()
    {
        var items = Items(Node1(Reply()));
        var rule = (StnRule)items["vpp/stn-rule/192.168.16.5"];
        Assert.Equal(("192.168.16.5", "tap-vpp2"), (rule.IpAddress, rule.Interface));
        var arp = (ArpEntry)items[VppKeys.Arp("tap-vpp2", "192.168.16.5")];
        Assert.Equal((StnConfig.HostMac, true), (arp.PhysAddress, arp.Static));
        var ranges = items.Values.OfType<ProxyArpRange>().Select(p => (p.FirstIp, p.LastIp, p.Interfaces.Single())).Order().ToList();
        Assert.Equal([("172.16.5.1", "172.16.5.254", "tap-vpp2"), ("192.168.16.1", "192.168.16.254", "tap-vpp2")], ranges);
    }

    [Fact]
    public void The_original_routes_go_through_vpp1_on_the_host_and_through_the_nic_in_the_data_plane()
    {
        var items = Items(Node1(Reply()));
        var host = items.Values.OfType<LinuxRoute>().Select(r => (r.Destination, r.Gateway, r.Interface, r.ScopeLink)).Order().ToList();
        Assert.Equal(
        [
            ("0.0.0.0/0", "192.168.16.1", "vpp1", false),
            ("10.1.0.0/16", "192.168.16.1", "vpp1", false),
            ("10.99.0.0/16", "192.168.16.254", "vpp1", false),
            ("172.16.5.0/24", "", "vpp1", true),
        ], host);

        var vrf0 = items.Values.OfType<Route>().Where(r => r.VrfId == 0 && r.Type == RouteType.IntraVrf)
            .Select(r => (r.DstNetwork, r.NextHopAddr, r.OutInterface)).Order().ToList();
        Assert.Equal(
        [
            ("0.0.0.0/0", "192.168.16.1", "eth0"),
            ("10.99.0.0/16", "192.168.16.254", "eth0"),
            ("172.16.5.0/24", "", "eth0"),
        ], vrf0);

        // No interconnect subnet and no host /32 routes: the host's address is the node IP itself.
        Assert.DoesNotContain(items.Values.OfType<LinuxAddress>(), a => a.Address.StartsWith("172.30.", StringComparison.Ordinal));
        Assert.DoesNotContain(items.Values.OfType<Route>(), r => r.OutInterface == "tap-vpp2");
    }
}
