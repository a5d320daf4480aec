using Contiv.Linux;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>
/// What a pod can make the neighbour table hold is bounded: learning only from the interface's
/// subnets, a cap of dynamic neighbours per interface, and a global cap on packets waiting for ARP.
/// </summary>
public sealed class NeighborCapTests
{
    private static readonly MacAddress Pod = MacAddress.Parse("02:aa:00:00:00:02");

    private sealed class Setup : IDisposable
    {
        public Setup(DataplaneOptions options)
        {
            Dp = new Dataplane(options);
            Dp.Start();
            Pg0 = Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:00:01"));
            Pg1 = Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:01:01"));
            Dp.AddAddress(Pg0, Ip4Prefix.ParseAddress("10.0.0.1/24"));
            Dp.AddAddress(Pg1, Ip4Prefix.ParseAddress("10.1.0.1/16"));
            Dp.SetAdminState(Pg0, true);
            Dp.SetAdminState(Pg1, true);
        }

        public Dataplane Dp { get; }

        public SwInterface Pg0 { get; }

        public SwInterface Pg1 { get; }

        public void ArpFromPod(string senderIp)
            => Dp.Inject(Pg0, Packets.Ethernet(MacAddress.Broadcast, Pod, 0x0806, Packets.Arp(1, Pod, senderIp, MacAddress.Zero, "10.0.0.1")));

        public int Neighbors(SwInterface intf) => Dp.NeighborSnapshot().Count(n => n.SwIfIndex == intf.SwIfIndex);

        public long Errors(string node, string reason)
        {
            var errors = Dp.Graph.Errors;
            long total = 0;
            for (var e = 0; e < errors.Count; e++)
            {
                if (errors[e].Node.Name == node && errors[e].Reason == reason)
                {
                    total += Dp.Contexts.Sum(c => c.ErrorCounters[e]);
                }
            }

            return total;
        }

        public void Dispose() => Dp.Dispose();
    }

    [Fact]
    public void Arp_senders_outside_the_interface_subnets_are_not_learned()
    {
        using var s = new Setup(new DataplaneOptions { Buffers = 256 });
        var rnd = new Random(22);
        for (var i = 0; i < 200; i++)
        {
            s.ArpFromPod($"20.{rnd.Next(256)}.{rnd.Next(256)}.{rnd.Next(1, 255)}");
        }

        s.ArpFromPod("10.0.0.2"); // on-link: learned
        Assert.Equal(1, s.Neighbors(s.Pg0));
        Assert.Equal(200, s.Errors("arp-input", "ARP sender not learned: outside the interface's subnets"));
        Assert.Equal(201, Dataplane.Captured(s.Pg0).Count); // every request is still answered
    }

    [Fact]
    public void The_ager_drops_an_unresolved_neighbor_after_3_s_and_stops_with_the_data_plane()
    {
        var s = new Setup(new DataplaneOptions { Buffers = 256 });
        try
        {
            // From the pod towards 10.1.0.9 on pg1's /16, where nobody answers ARP: an unresolved entry holds the packet.
            s.Dp.Inject(s.Pg0, Packets.Ethernet(s.Pg0.Mac, Pod, 0x0800, Packets.Ip4("10.0.0.2", "10.1.0.9", 1, Packets.IcmpEcho(1, 1))));
            Assert.Equal(1, s.Neighbors(s.Pg1));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (s.Neighbors(s.Pg1) > 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(50);
            }

            Assert.Equal(0, s.Neighbors(s.Pg1));
            Assert.InRange(waited.Elapsed.TotalSeconds, 2.5, 6); // unresolved for > 3 s, the ager's next round (1 s)
            Assert.Equal(0, s.Dp.BuffersInUse()); // the held packet was freed with it
        }
        finally
        {
            var disposing = System.Diagnostics.Stopwatch.StartNew();
            s.Dispose();
            Assert.True(disposing.Elapsed < TimeSpan.FromMilliseconds(800), $"Dispose took {disposing.Elapsed}: the ager's wait is not cut short");
        }
    }

    [Fact]
    public void Dynamic_neighbors_per_interface_stop_at_the_cap()
    {
        using var s = new Setup(new DataplaneOptions { Buffers = 256, MaxNeighborsPerInterface = 16 });
        for (var i = 2; i < 102; i++)
        {
            s.ArpFromPod($"10.0.0.{i}");
        }

        Assert.Equal(16, s.Neighbors(s.Pg0));
        Assert.Equal(100 - 16, s.Errors("arp-input", "ARP sender not learned: neighbor table full for the interface"));
        // Static entries do not count against the cap and are always accepted.
        s.Dp.SetNeighbor(s.Pg0, Ip4Address.Parse("10.0.0.200"), Pod, isStatic: true);
        Assert.Equal(17, s.Neighbors(s.Pg0));
        // Unresolved next hops are dynamic entries too: refused (counted) while the table is full.
        s.Dp.SetNeighbor(s.Pg1, Ip4Address.Parse("10.1.0.2"), Pod, isStatic: true);
        s.Dp.Inject(s.Pg1, Packets.Ethernet(s.Pg1.Mac, Pod, 0x0800, Packets.Ip4("10.1.0.2", "10.0.0.150", 1, Packets.IcmpEcho(1, 1))));
        Assert.Equal(1, s.Errors("ip4-arp", "neighbor table full for the interface"));
        Assert.Equal(0, s.Dp.BuffersInUse());
    }

    [Fact]
    public void Packets_sprayed_at_unresolved_addresses_cannot_pin_more_than_the_global_queue_cap()
    {
        using var s = new Setup(new DataplaneOptions { Buffers = 1024, MaxArpQueuedBuffers = 32 });
        s.Dp.SetNeighbor(s.Pg0, Ip4Address.Parse("10.0.0.2"), Pod, isStatic: true);
        for (var i = 0; i < 300; i++)
        {
            // Each destination is a different unresolved neighbour on pg1's /16.
            s.Dp.Inject(s.Pg0, Packets.Ethernet(s.Pg0.Mac, Pod, 0x0800,
                Packets.Ip4("10.0.0.2", $"10.1.{2 + (i / 250)}.{1 + (i % 250)}", 17, Packets.Udp(1, 2, 8))));
        }

        Assert.Equal(32, s.Dp.BuffersInUse());
        Assert.Equal(300 - 32, s.Errors("ip4-arp", "address resolution queues full (all neighbors)"));
        // Resolution still works for the queued ones: a reply releases its packet.
        s.Dp.Inject(s.Pg1, Packets.Ethernet(s.Pg1.Mac, Pod, 0x0806, Packets.Arp(2, Pod, "10.1.2.1", s.Pg1.Mac, "10.1.0.1")));
        Assert.Equal(31, s.Dp.BuffersInUse());
    }
}
