using System.Buffers.Binary;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>IPv4 forwarding through the graph with injected frames (no root needed).</summary>
public sealed class ForwardingTests
{
    [Fact]
    public void Routed_packet_gets_mac_rewrite_and_ttl_decrement_with_valid_checksum()
    {
        using var t = new TwoPortDataplane(table: 1);
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1), ttl: 64));

        var f = Assert.Single(t.Out1);
        Assert.Equal(TwoPortDataplane.HostB, Packets.DstMac(f));
        Assert.Equal(t.Pg1.Mac, Packets.SrcMac(f));
        Assert.Equal(63, Packets.Ttl(f));
        Assert.True(Packets.ChecksumOk(f.AsSpan(14, 20)), "IP header checksum after incremental update");
        Assert.Empty(t.Out0);
    }

    [Fact]
    public void Ping_to_own_address_is_answered()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg0, Ip4Address.Parse("10.0.0.2"), TwoPortDataplane.HostA, isStatic: true);
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.0.1", 1, Packets.IcmpEcho(7, 3)));

        var f = Assert.Single(t.Out0);
        Assert.Equal("10.0.0.1", Packets.IpSrc(f));
        Assert.Equal("10.0.0.2", Packets.IpDst(f));
        Assert.Equal(0, f[34]); // echo reply
        Assert.True(Packets.ChecksumOk(f.AsSpan(14, 20)));
        Assert.True(Packets.ChecksumOk(f.AsSpan(34)), "ICMP checksum");
        Assert.Equal(TwoPortDataplane.HostA, Packets.DstMac(f));
    }

    [Fact]
    public void Ttl_one_gets_icmp_time_exceeded_from_the_rx_interface_address()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg0, Ip4Address.Parse("10.0.0.2"), TwoPortDataplane.HostA, isStatic: true);
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        var original = Packets.Ip4("10.0.0.2", "10.0.1.2", 17, Packets.Udp(1000, 2000, 10), ttl: 1);
        t.FromA(original);

        Assert.Empty(t.Out1);
        var f = Assert.Single(t.Out0);
        Assert.Equal(1, Packets.Proto(f));
        Assert.Equal("10.0.0.1", Packets.IpSrc(f));
        Assert.Equal("10.0.0.2", Packets.IpDst(f));
        Assert.Equal(11, f[34]);
        Assert.Equal(0, f[35]);
        Assert.True(Packets.ChecksumOk(f.AsSpan(34)), "ICMP checksum");
        // The quoted header is the original one (TTL 1, same addresses).
        Assert.Equal(original.AsSpan(0, 20).ToArray(), f.AsSpan(42, 20).ToArray());
        Assert.Equal(1, t.ErrorCount("ip4-rewrite", "ip4 ttl <= 1"));
    }

    [Fact]
    public void Unknown_destination_is_dropped_with_a_counted_reason()
    {
        using var t = new TwoPortDataplane();
        t.FromA(Packets.Ip4("10.0.0.2", "192.0.2.9", 1, Packets.IcmpEcho(1, 1)));
        Assert.Empty(t.Out0);
        Assert.Empty(t.Out1);
        Assert.Equal(1, t.ErrorCount("ip4-lookup", "ip4 destination lookup miss"));
        Assert.Contains("ip4 destination lookup miss", t.Run("show errors"), StringComparison.Ordinal);
        Assert.Matches(@"pg0\s+\d+\s+up.*\n(.*\n)*\s+drops\s+1", t.Run("show interface pg0"));
    }

    [Fact]
    public void Longest_prefix_wins_and_drop_and_inter_vrf_routes_work()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.3"), TwoPortDataplane.HostA, isStatic: true);
        t.Run("ip route add 172.16.0.0/16 via 10.0.1.2 pg1");
        t.Run("ip route add 172.16.5.0/24 via 10.0.1.3 pg1");
        t.Run("ip route add 172.16.6.0/24 via drop");
        t.FromA(Packets.Ip4("10.0.0.2", "172.16.5.9", 1, Packets.IcmpEcho(1, 1)));
        t.FromA(Packets.Ip4("10.0.0.2", "172.16.7.9", 1, Packets.IcmpEcho(1, 2)));
        t.FromA(Packets.Ip4("10.0.0.2", "172.16.6.9", 1, Packets.IcmpEcho(1, 3)));
        Assert.Equal(2, t.Out1.Count);
        Assert.Equal(TwoPortDataplane.HostA, Packets.DstMac(t.Out1[0]));
        Assert.Equal(TwoPortDataplane.HostB, Packets.DstMac(t.Out1[1]));
        Assert.Equal(1, t.ErrorCount("ip4-lookup", "ip4 drop route"));

        // A second VRF whose default route leaks into table 0.
        t.Run("ip table add 7");
        t.Run("ip route add 0.0.0.0/0 table 7 via ip4-lookup-in-table 0");
        var loop = t.Dp.CreateLoopback();
        t.Run($"set interface ip table {loop.DevName} 7");
        t.Run($"set interface state {loop.DevName} up");
        t.Dp.Inject(loop, Packets.Ethernet(loop.Mac, TwoPortDataplane.HostA, 0x0800, Packets.Ip4("10.9.0.2", "172.16.0.1", 1, Packets.IcmpEcho(2, 1))));
        Assert.Equal(3, t.Out1.Count);
        Assert.Equal(TwoPortDataplane.HostB, Packets.DstMac(t.Out1[2]));
    }

    [Fact]
    public void Ecmp_paths_share_one_prefix_and_deleting_one_keeps_the_other()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.3"), TwoPortDataplane.HostA, isStatic: true);
        t.Run("ip route add 172.16.0.0/16 via 10.0.1.2 pg1");
        t.Run("ip route add 172.16.0.0/16 via 10.0.1.3 pg1");
        Assert.Contains("buckets:2", t.Run("show ip fib 172.16.0.0/16"), StringComparison.Ordinal);
        t.Run("ip route del 172.16.0.0/16 via 10.0.1.2 pg1");
        t.FromA(Packets.Ip4("10.0.0.2", "172.16.1.1", 1, Packets.IcmpEcho(1, 1)));
        Assert.Equal(TwoPortDataplane.HostA, Packets.DstMac(Assert.Single(t.Out1)));
    }
}
