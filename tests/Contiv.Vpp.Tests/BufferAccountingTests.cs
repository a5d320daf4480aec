using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>Every buffer the graph takes comes back: forwarded, dropped, answered or turned into an ICMP error.</summary>
public sealed class BufferAccountingTests
{
    [Fact]
    public void Forwarding_drops_replies_and_icmp_errors_return_every_buffer()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg0, Ip4Address.Parse("10.0.0.2"), TwoPortDataplane.HostA, isStatic: true);
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        Assert.Equal(0, t.Dp.BuffersInUse());

        for (var i = 0; i < 50; i++)
        {
            t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 17, Packets.Udp(1, 2, 18))); // forwarded
            t.FromA(Packets.Ip4("10.0.0.2", "10.0.0.1", 1, Packets.IcmpEcho(1, (ushort)i))); // echo reply
            t.FromA(Packets.Ip4("10.0.0.2", "192.0.2.1", 17, Packets.Udp(1, 2, 18))); // lookup miss
            t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 17, Packets.Udp(1, 2, 18), ttl: 1)); // time exceeded
        }

        Assert.Equal(50, t.Out1.Count); // forwarded
        Assert.Equal(100, t.Out0.Count); // echo replies + time exceeded
        Assert.Equal(0, t.Dp.BuffersInUse());
        Assert.Empty(t.Dp.Buffers.Outstanding());
    }

#if DEBUG
    [Fact]
    public void Debug_build_rejects_a_double_free_naming_the_buffer()
    {
        using var pool = new BufferPool(64);
        var cache = new BufferCache(pool);
        var b = cache.Alloc();
        Assert.Equal([b], pool.Outstanding());
        cache.Free(b);
        var e = Assert.Throws<InvalidOperationException>(() => cache.Free(b));
        Assert.Contains($"buffer {b}", e.Message, StringComparison.Ordinal);
    }
#endif
}
