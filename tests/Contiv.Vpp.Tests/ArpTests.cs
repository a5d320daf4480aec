using Contiv.Linux;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>ARP: replies, learning, resolution with a pending queue, proxy ARP, unnumbered.</summary>
public sealed class ArpTests
{
    [Fact]
    public void Request_for_own_address_is_answered_and_sender_learned()
    {
        using var t = new TwoPortDataplane();
        var req = Packets.Ethernet(MacAddress.Broadcast, TwoPortDataplane.HostA, 0x0806,
            Packets.Arp(1, TwoPortDataplane.HostA, "10.0.0.2", MacAddress.Zero, "10.0.0.1"));
        t.Dp.Inject(t.Pg0, req);

        var f = Assert.Single(t.Out0);
        Assert.Equal(0x0806, Packets.EtherType(f));
        Assert.Equal(2, f[21]); // reply
        Assert.Equal(t.Pg0.Mac, MacAddress.Read(f.AsSpan(22)));
        Assert.Equal(TwoPortDataplane.HostA, Packets.DstMac(f));
        Assert.Contains(t.Dp.NeighborSnapshot(), n => n.Ip == Ip4Address.Parse("10.0.0.2") && n.Mac == TwoPortDataplane.HostA && !n.Static);
        Assert.Matches(@"10\.0\.0\.2\s+D\s+02:aa:00:00:00:02\s*pg0", t.Run("show ip neighbors"));
    }

    [Fact]
    public void Request_for_other_address_is_not_answered()
    {
        using var t = new TwoPortDataplane();
        t.Dp.Inject(t.Pg0, Packets.Ethernet(MacAddress.Broadcast, TwoPortDataplane.HostA, 0x0806,
            Packets.Arp(1, TwoPortDataplane.HostA, "10.0.0.2", MacAddress.Zero, "10.0.0.77")));
        Assert.Empty(t.Out0);
        Assert.Empty(t.Dp.NeighborSnapshot());
    }

    [Fact]
    public void Unresolved_next_hop_is_arped_and_queued_packets_flow_after_the_reply()
    {
        using var t = new TwoPortDataplane();
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1)));
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 2)));

        var arp = Assert.Single(t.Out1);
        Assert.Equal(0x0806, Packets.EtherType(arp));
        Assert.Equal(MacAddress.Broadcast, Packets.DstMac(arp));
        Assert.Equal(1, arp[21]);
        Assert.Equal("10.0.1.1", Ip4Address.Format(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(arp.AsSpan(28))));
        Assert.Contains(" P ", t.Run("show ip neighbors"), StringComparison.Ordinal);

        t.ClearCaptured();
        t.Dp.Inject(t.Pg1, Packets.Ethernet(t.Pg1.Mac, TwoPortDataplane.HostB, 0x0806,
            Packets.Arp(2, TwoPortDataplane.HostB, "10.0.1.2", t.Pg1.Mac, "10.0.1.1")));
        Assert.Equal(2, t.Out1.Count);
        Assert.All(t.Out1, f => Assert.Equal(TwoPortDataplane.HostB, Packets.DstMac(f)));
        Assert.Equal([1, 2], t.Out1.Select(f => (int)f[41]).ToArray());
    }

    [Fact]
    public void Unnumbered_interface_answers_for_donor_address_and_proxy_arp_answers_ranges()
    {
        using var t = new TwoPortDataplane();
        var loop = t.Dp.CreateLoopback();
        t.Run($"set interface ip address {loop.DevName} 10.1.1.1/24");
        Assert.True(t.Cli.Execute($"set interface unnumbered pg1 use {loop.DevName}").Error, "pg1 still has an address");
        t.Run("set interface ip address del pg1 10.0.1.1/24");
        t.Run($"set interface unnumbered pg1 use {loop.DevName}");
        Assert.Throws<DataplaneException>(() => t.Dp.AddAddress(t.Pg1, Ip4Prefix.ParseAddress("10.0.9.1/24")));
        t.Dp.Inject(t.Pg1, Packets.Ethernet(MacAddress.Broadcast, TwoPortDataplane.HostB, 0x0806,
            Packets.Arp(1, TwoPortDataplane.HostB, "10.1.1.2", MacAddress.Zero, "10.1.1.1")));
        Assert.Equal(2, Assert.Single(t.Out1)[21]);
        Assert.Contains("unnumbered, use loop0", t.Run("show interface address pg1"), StringComparison.Ordinal);

        t.ClearCaptured();
        t.Run("set arp proxy table-ID 0 start 10.5.0.1 end 10.5.0.10");
        t.Run("set interface proxy-arp pg1 enable");
        t.Dp.Inject(t.Pg1, Packets.Ethernet(MacAddress.Broadcast, TwoPortDataplane.HostB, 0x0806,
            Packets.Arp(1, TwoPortDataplane.HostB, "10.1.1.2", MacAddress.Zero, "10.5.0.5")));
        t.Dp.Inject(t.Pg1, Packets.Ethernet(MacAddress.Broadcast, TwoPortDataplane.HostB, 0x0806,
            Packets.Arp(1, TwoPortDataplane.HostB, "10.1.1.2", MacAddress.Zero, "10.5.0.11")));
        Assert.Single(t.Out1);
        Assert.Equal(1, t.ErrorCount("arp-input", "proxy ARP replies sent"));
    }
    [Fact]
    public void Resolved_neighbour_cached_by_ip4_arp_follows_mac_changes_and_deletion()
    {
        // ip4-arp remembers a resolved (interface, address) per thread and skips the table's lock; the
        // cache must never forward with a MAC the table no longer has.
        using var t = new TwoPortDataplane();
        var newMac = MacAddress.Parse("02:bb:00:00:00:77");
        t.Run($"set ip neighbor pg1 10.0.1.2 {TwoPortDataplane.HostB}");
        for (var i = 1; i <= 3; i++)
        {
            t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, (ushort)i)));
        }

        Assert.Equal(3, t.Out1.Count);
        Assert.All(t.Out1, f => Assert.Equal(TwoPortDataplane.HostB, Packets.DstMac(f)));

        // A new MAC: the next packet carries it.
        t.ClearCaptured();
        t.Run($"set ip neighbor pg1 10.0.1.2 {newMac}");
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 4)));
        Assert.Equal(newMac, Packets.DstMac(Assert.Single(t.Out1)));

        // Deleted (its adjacency reclaimed, the index free for another neighbour): the next packet is ARPed
        // for, never sent to the old MAC, also when another neighbour took the freed adjacency index.
        t.ClearCaptured();
        t.Run($"set ip neighbor del pg1 10.0.1.2 {newMac}");
        t.Run($"set ip neighbor pg1 10.0.1.3 {TwoPortDataplane.HostB}");
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.3", 1, Packets.IcmpEcho(1, 5)));
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 6)));
        Assert.Equal(2, t.Out1.Count);
        Assert.Equal(0x0800, Packets.EtherType(t.Out1[0]));
        Assert.Equal(5, t.Out1[0][41]);
        var arp = t.Out1[1];
        Assert.Equal(0x0806, Packets.EtherType(arp));
        Assert.Equal("10.0.1.2", Ip4Address.Format(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(arp.AsSpan(38))));
        Assert.Contains(" P ", t.Run("show ip neighbors"), StringComparison.Ordinal);

        // The reply releases the queued packet with the answered MAC, and later packets follow the cache again.
        t.ClearCaptured();
        t.Dp.Inject(t.Pg1, Packets.Ethernet(t.Pg1.Mac, newMac, 0x0806,
            Packets.Arp(2, newMac, "10.0.1.2", t.Pg1.Mac, "10.0.1.1")));
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 7)));
        Assert.Equal([6, 7], t.Out1.Select(f => (int)f[41]).ToArray());
        Assert.All(t.Out1, f => Assert.Equal(newMac, Packets.DstMac(f)));
    }
}
