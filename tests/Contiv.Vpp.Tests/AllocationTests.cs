using Contiv.Linux;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>The forwarding path allocates nothing per packet in steady state.</summary>
public sealed class AllocationTests
{
    // 10.7.1.1: a route via a next hop (adjacency straight from ip4-lookup); 10.0.5.2: an attached host
    // (glean: ip4-arp's cached resolved adjacency).
    [Theory]
    [InlineData("10.7.1.1")]
    [InlineData("10.0.5.2")]
    public unsafe void Routed_forwarding_allocates_no_managed_memory_per_packet(string destination)
    {
        using var t = new TwoPortDataplane(table: 1, buffers: 4096);
        var loop = t.Dp.CreateLoopback();
        t.Dp.SetInterfaceTable(loop, 1);
        t.Dp.AddAddress(loop, Ip4Prefix.ParseAddress("10.0.5.1/24"));
        t.Dp.SetAdminState(loop, true);
        t.Dp.SetNeighbor(loop, Ip4Address.Parse("10.0.5.2"), TwoPortDataplane.HostB, isStatic: true);
        t.Run("ip route add 10.7.0.0/16 table 1 via 10.0.5.2 loop0");
        var frame = Packets.Ethernet(t.Pg0.Mac, TwoPortDataplane.HostA, 0x0800, Packets.Ip4("10.0.0.2", destination, 17, Packets.Udp(1, 2, 18)));
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

        Run(2000);
        var allocated = Run(100_000);
        Assert.Equal(0, allocated);
        Assert.Matches(@"loop0\s+\d+\s+up\s+\S+\s+tx packets\s+102000", t.Run("show interface loop0"));
    }
}
