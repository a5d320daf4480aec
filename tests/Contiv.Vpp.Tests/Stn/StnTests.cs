using System.Buffers.Binary;
using Contiv.Linux;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Stn;

/// <summary>
/// STN punt rules in the graph, in process: pg0 is the stolen NIC (node IP 10.0.0.1/24, underlay host
/// 10.0.0.2), pg1 the pod side (10.0.1.2), and a third packet-generator interface stands for `tap-vpp2`:
/// unnumbered to pg0, proxy ARP for the node subnet, static neighbour node IP -> 00:00:00:00:00:02 (the
/// host's vpp1), rule `stn rule address 10.0.0.1 interface tap-vpp2`.
/// </summary>
public sealed class StnTests
{
    private const string NodeIp = "10.0.0.1";
    private static readonly MacAddress HostVpp1 = MacAddress.Parse("00:00:00:00:00:02");

    private sealed class StnNode : IDisposable
    {
        public StnNode(bool rule = true)
        {
            T = new TwoPortDataplane(buffers: 4096);
            Tap = T.Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:02:01"), "tap-vpp2");
            T.Dp.SetUnnumbered(Tap, T.Pg0);
            T.Dp.SetAdminState(Tap, true);
            T.Dp.SetNeighbor(Tap, Ip4Address.Parse(NodeIp), HostVpp1, isStatic: true);
            T.Dp.SetNeighbor(T.Pg0, Ip4Address.Parse("10.0.0.2"), TwoPortDataplane.HostA, isStatic: true);
            T.Dp.SetNeighbor(T.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
            T.Run("set interface proxy-arp tap-vpp2 enable");
            T.Run("set arp proxy table-ID 0 start 10.0.0.1 end 10.0.0.254");
            if (rule)
            {
                T.Run($"stn rule address {NodeIp} interface tap-vpp2");
            }
        }

        public TwoPortDataplane T { get; }

        public SwInterface Tap { get; }

        public IReadOnlyList<byte[]> ToHost => Dataplane.Captured(Tap);

        public void FromHost(byte[] frame) => T.Dp.Inject(Tap, frame);

        public void Dispose() => T.Dispose();
    }

    private static void AssertPuntedUnchanged(StnNode n, byte[] ip)
    {
        var f = Assert.Single(n.ToHost);
        Assert.Equal(HostVpp1, Packets.DstMac(f));
        Assert.Equal(n.Tap.Mac, Packets.SrcMac(f));
        Assert.Equal(0x0800, Packets.EtherType(f));
        Assert.Equal(ip, f.AsSpan(14).ToArray());
        Assert.Empty(n.T.Out0);
        Assert.Empty(n.T.Out1);
    }

    [Fact]
    public void Tcp_to_the_node_ip_from_the_underlay_reaches_the_host_unchanged()
    {
        using var n = new StnNode();
        var syn = Tcp("10.0.0.2", 40000, NodeIp, 22, Syn);
        n.T.FromA(syn);
        AssertPuntedUnchanged(n, syn);
        Assert.Equal(1, n.T.ErrorCount("stn-ip4-punt", "packets punted to the host"));
    }

    [Fact]
    public void Ping_to_the_node_ip_is_answered_by_the_host_not_by_the_data_plane()
    {
        using var n = new StnNode();
        var echo = Packets.Ip4("10.0.0.2", NodeIp, 1, Packets.IcmpEcho(7, 1));
        n.T.FromA(echo);
        AssertPuntedUnchanged(n, echo);
    }

    [Fact]
    public void Without_the_rule_the_data_plane_answers_itself()
    {
        using var n = new StnNode(rule: false);
        n.T.FromA(Tcp("10.0.0.2", 40000, NodeIp, 22, Syn));
        Assert.Empty(n.ToHost);
        var unreachable = Assert.Single(n.T.Out0);
        Assert.Equal(1, Packets.Proto(unreachable));

        // Adding the rule then deleting it again (CLI) returns to that behaviour.
        n.T.Run($"stn rule address {NodeIp} interface tap-vpp2");
        n.T.Run($"stn rule address {NodeIp} del");
        n.T.ClearCaptured();
        n.T.FromA(Tcp("10.0.0.2", 40001, NodeIp, 22, Syn));
        Assert.Empty(n.ToHost);
        Assert.Single(n.T.Out0);
    }

    [Fact]
    public void Udp_to_a_port_the_data_plane_does_not_serve_reaches_the_host()
    {
        using var n = new StnNode();
        var dns = Packets.Ip4("10.0.0.2", NodeIp, 17, Packets.Udp(5353, 53, 20));
        n.T.FromA(dns);
        AssertPuntedUnchanged(n, dns);
    }

    [Fact]
    public void Vxlan_for_a_configured_tunnel_stays_in_the_data_plane_and_from_an_unknown_vtep_goes_to_the_host()
    {
        using var n = new StnNode();
        var tunnel = n.T.Dp.CreateVxlanTunnel(Ip4Address.Parse(NodeIp), Ip4Address.Parse("10.0.0.2"), 10);
        n.T.Run($"set interface l2 bridge {tunnel.DevName} 1 1");
        var inner = Packets.Ethernet(MacAddress.Parse("02:00:00:00:00:99"), MacAddress.Parse("02:00:00:00:00:98"), 0x0800, Packets.Ip4("10.1.2.2", "10.1.1.2", 17, Packets.Udp(1, 2, 8)));

        n.T.FromA(Packets.Ip4("10.0.0.2", NodeIp, 17, Vxlan(10, inner)));
        Assert.Empty(n.ToHost);

        var stranger = Packets.Ip4("10.0.0.3", NodeIp, 17, Vxlan(10, inner));
        n.T.FromA(stranger);
        var f = Assert.Single(n.ToHost);
        Assert.Equal(stranger, f.AsSpan(14).ToArray());
    }

    [Fact]
    public void A_node_port_is_translated_to_its_backend_not_punted()
    {
        using var n = new StnNode();
        n.T.Run("set interface nat44 out pg0 in pg1");
        n.T.Run($"nat44 add static mapping tcp local 10.0.1.2 8080 external {NodeIp} 30080 out2in-only");
        n.T.FromA(Tcp("10.0.0.2", 40000, NodeIp, 30080, Syn));
        Assert.Empty(n.ToHost);
        var toBackend = Assert.Single(n.T.Out1);
        Assert.Equal("10.0.1.2", Packets.IpDst(toBackend));

        // Another port of the node IP still belongs to the host.
        n.T.FromA(Tcp("10.0.0.2", 40000, NodeIp, 22, Syn));
        Assert.Single(n.ToHost);
    }

    [Fact]
    public void Pods_reach_the_host_on_the_node_ip()
    {
        using var n = new StnNode();
        var fromPod = Tcp("10.0.1.2", 40000, NodeIp, 10250, Syn);
        n.T.Dp.Inject(n.T.Pg1, Packets.Ethernet(n.T.Pg1.Mac, TwoPortDataplane.HostB, 0x0800, fromPod));
        var f = Assert.Single(n.ToHost);
        Assert.Equal(fromPod, f.AsSpan(14).ToArray());
    }

    [Fact]
    public void The_host_gets_proxy_arp_for_its_subnet_and_its_packets_are_routed_out_of_the_nic()
    {
        using var n = new StnNode();
        n.FromHost(Packets.Ethernet(MacAddress.Broadcast, HostVpp1, 0x0806, Packets.Arp(1, HostVpp1, NodeIp, MacAddress.Zero, "10.0.0.2")));
        var reply = Assert.Single(n.ToHost);
        Assert.Equal(0x0806, Packets.EtherType(reply));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(20)));
        Assert.Equal(n.Tap.Mac, MacAddress.Read(reply.AsSpan(22)));

        var syn = Tcp(NodeIp, 50000, "10.0.0.2", 80, Syn);
        n.FromHost(Packets.Ethernet(n.Tap.Mac, HostVpp1, 0x0800, syn));
        var sent = Assert.Single(n.T.Out0);
        Assert.Equal(TwoPortDataplane.HostA, Packets.DstMac(sent));
        Assert.Equal(NodeIp, Packets.IpSrc(sent));
    }

    [Fact]
    public void The_underlay_still_resolves_the_node_ip_to_the_nic()
    {
        using var n = new StnNode();
        n.T.Dp.Inject(n.T.Pg0, Packets.Ethernet(MacAddress.Broadcast, TwoPortDataplane.HostA, 0x0806, Packets.Arp(1, TwoPortDataplane.HostA, "10.0.0.2", MacAddress.Zero, NodeIp)));
        var reply = Assert.Single(n.T.Out0);
        Assert.Equal(n.T.Pg0.Mac, MacAddress.Read(reply.AsSpan(22)));
        Assert.Empty(n.ToHost);
    }

    [Fact]
    public void Without_a_neighbour_for_the_node_ip_the_packet_is_dropped_and_counted()
    {
        using var n = new StnNode();
        Assert.True(n.T.Dp.DeleteNeighbor(n.Tap, Ip4Address.Parse(NodeIp)));
        n.T.FromA(Tcp("10.0.0.2", 40000, NodeIp, 22, Syn));
        Assert.Empty(n.ToHost);
        Assert.Empty(n.T.Out0);
        Assert.Equal(1, n.T.ErrorCount("stn-ip4-punt", "no neighbour for the STN address on the rule's interface"));

        // The neighbour coming back (as the agent re-installs it) fixes the rule's rewrite.
        n.T.Dp.SetNeighbor(n.Tap, Ip4Address.Parse(NodeIp), HostVpp1, isStatic: true);
        n.T.FromA(Tcp("10.0.0.2", 40001, NodeIp, 22, Syn));
        Assert.Single(n.ToHost);
    }

    [Fact]
    public void Deleting_the_interface_removes_its_rules_and_show_stn_rules_lists_them()
    {
        using var n = new StnNode();
        Assert.Equal($"- rule_index: 0\n  address: {NodeIp}\n  iface: {n.Tap.DevName} ({n.Tap.SwIfIndex})\n  next_node: {n.Tap.DevName}-output\n", n.T.Run("show stn rules"));
        Assert.Equal([new Contiv.Vpp.Stn.StnRule(Ip4Address.Parse(NodeIp), "tap-vpp2")], n.T.Dp.StnRules);
        var bad = n.T.Cli.Execute("stn rule address 10.0.0.1 interface nosuch");
        Assert.True(bad.Error);
        Assert.Contains("nosuch", bad.Output, StringComparison.Ordinal);
        n.T.Dp.DeleteInterface(n.Tap);
        Assert.Empty(n.T.Dp.StnRules);
        Assert.Equal(string.Empty, n.T.Run("show stn rules"));
    }

    [Fact]
    public unsafe void Punting_allocates_no_managed_memory_per_packet()
    {
        using var n = new StnNode();
        var t = n.T;
        var frame = Packets.Ethernet(t.Pg0.Mac, TwoPortDataplane.HostA, 0x0800, Tcp("10.0.0.2", 40000, NodeIp, 22, Ack, payload: 64));
        var eth = t.Dp.Graph.IndexOf("ethernet-input");

        long Run(int packets) => t.Dp.Exclusive(() =>
        {
            var ctx = t.Dp.Main;
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < packets; i++)
            {
                var b = ctx.Buffers.Alloc();
                ref var m = ref t.Dp.Buffers.Meta(b);
                frame.AsSpan().CopyTo(new Span<byte>(t.Dp.Buffers.Data(b), frame.Length));
                m.CurrentLength = frame.Length;
                m.RxSwIfIndex = t.Pg0.SwIfIndex;
                ctx.Enqueue(eth, b);
                if ((i & 255) == 255)
                {
                    ctx.Dispatch();
                }
            }

            ctx.Dispatch();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        ((PacketGeneratorDevice)n.Tap.Device!).Discard = true;
        Run(2000);
        Assert.Equal(0, Run(100_000));
        Assert.Equal(102_000, t.ErrorCount("stn-ip4-punt", "packets punted to the host"));
        Assert.Equal(0, t.Dp.BuffersInUse());
    }

    private static byte[] Vxlan(uint vni, byte[] inner)
    {
        var vx = new byte[8 + inner.Length];
        vx[0] = 0x08;
        BinaryPrimitives.WriteUInt32BigEndian(vx.AsSpan(4), vni << 8);
        inner.CopyTo(vx, 8);
        var udp = Packets.Udp(50000, 4789, vx.Length);
        vx.CopyTo(udp, 8);
        return udp;
    }
}
