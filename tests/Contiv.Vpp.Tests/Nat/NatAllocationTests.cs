using System.Buffers.Binary;
using Contiv.Vpp.Nat;
using Xunit.Abstractions;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>The per-packet NAT paths allocate nothing in steady state, at any table size.</summary>
public sealed class NatAllocationTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = output;

    private static void SwapEnds(Span<byte> ip)
    {
        Span<byte> t = stackalloc byte[4];
        ip.Slice(12, 4).CopyTo(t);
        ip.Slice(16, 4).CopyTo(ip[12..]);
        t.CopyTo(ip[16..]);
        ip.Slice(20, 2).CopyTo(t);
        ip.Slice(22, 2).CopyTo(ip[20..]);
        t[..2].CopyTo(ip[22..]);
    }

    [Fact]
    public void Translating_creating_expiring_and_refusing_allocate_no_managed_memory()
    {
        var nat = new Nat44(maxSessions: 16384, random: new Random(4), timeouts: new NatTimeouts { Udp = 1, Icmp = 1 });
        nat.Pool.Add(A("192.168.16.1"));
        nat.Pool.Add(A("10.1.1.254"), twiceNat: true);
        nat.Mappings.Put(new NatExternalKey(A("10.96.0.10"), 80, NatProtocol.Udp), NatMappingFlags.Out2InOnly | NatMappingFlags.SelfTwiceNat,
            [new NatLocal(A("10.1.1.5"), 8080, 1, 1), new NatLocal(A("10.1.1.6"), 8080, 1, 1), new NatLocal(A("10.1.2.7"), 8080, 1, 2)], affinityTimeout: 2);
        nat.Mappings.Put(new NatExternalKey(A("10.96.0.11"), 80, NatProtocol.Tcp), NatMappingFlags.Out2InOnly, []);
        var toVip = Udp("10.1.1.2", 1, "10.96.0.10", 80, payload: 64);
        var toWorld = Udp("10.1.1.2", 1, "8.8.8.8", 53, payload: 64);
        var refused = Tcp("10.1.1.2", 40000, "10.96.0.11", 80, Syn);
        var buf = new byte[2048];
        var reply = new byte[NatRefusal.MaxLength];
        var now = 0.0;

        long Run(int packets)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < packets; i++)
            {
                now += 0.0005;
                var port = (ushort)(1024 + (i & 4095));
                var p = buf.AsSpan(0, toVip.Length);
                toVip.CopyTo(p);
                BinaryPrimitives.WriteUInt16BigEndian(p[20..], port);
                nat.Out2In(p, 1, now);
                SwapEnds(p);
                nat.In2Out(p, 1, 0, now, dynamicSnat: false);

                var q = buf.AsSpan(0, toWorld.Length);
                toWorld.CopyTo(q);
                BinaryPrimitives.WriteUInt16BigEndian(q[20..], port);
                nat.In2Out(q, 1, 0, now, dynamicSnat: true);
                SwapEnds(q);
                nat.Out2In(q, 0, now);

                if ((i & 63) == 0 && nat.Out2In(refused, 1, now).Verdict == NatVerdict.Refuse)
                {
                    NatRefusal.Build(refused, reply);
                }

                if ((i & 255) == 255)
                {
                    nat.Expire(now, 256);
                }
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Run(20_000);
        var allocated = Run(100_000);

        Assert.Equal(0, allocated);
        Assert.Equal(2 * 120_000, nat.In2OutCounters.Translated);
        Assert.True(nat.TimedOutSessions > 10_000, $"timed out {nat.TimedOutSessions}");
        Assert.Equal(0, nat.Out2InCounters.Drops(NatDropReason.MaxSessions) + nat.In2OutCounters.Drops(NatDropReason.OutOfPorts));
    }

    [Fact]
    public void With_ten_thousand_mappings_and_a_hundred_thousand_sessions_lookups_stay_hash_lookups()
    {
        const int mappings = 10_000;
        const int sessions = 100_000;
        var nat = new Nat44(maxSessions: 131_072, random: new Random(8));
        for (var m = 0; m < mappings; m++)
        {
            nat.Mappings.Put(new NatExternalKey(A("10.96.0.0") + (uint)m, 80, NatProtocol.Tcp), NatMappingFlags.Out2InOnly,
                [new NatLocal(A("10.1.0.0") + (uint)(2 * m), 8080, 1, 1), new NatLocal(A("10.1.0.1") + (uint)(2 * m), 8080, 1, 1)]);
        }

        var template = Tcp("10.2.0.0", 1, "10.96.0.0", 80, Ack, payload: 32);
        var buf = new byte[template.Length];
        var clients = A("10.2.0.0");
        var vips = A("10.96.0.0");

        void Packet(int i)
        {
            template.CopyTo(buf, 0);
            BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(12), clients + (uint)(i / 50_000));
            BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(20), (ushort)(1024 + (i % 50_000)));
            BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(16), vips + (uint)(i % mappings));
        }

        for (var i = 0; i < sessions; i++)
        {
            Packet(i);
            Assert.Equal(NatVerdict.Translated, nat.Out2In(buf, 1, 0).Verdict);
        }

        Assert.Equal(sessions, nat.Sessions.Count);
        Assert.Equal(mappings, nat.Mappings.Count);

        // Every packet of every existing flow, both ways, at full size: found by hash, rewritten, nothing allocated.
        var before = GC.GetAllocatedBytesForCurrentThread();
        long translated = 0;
        for (var i = 0; i < sessions; i++)
        {
            Packet(i);
            var r = nat.Out2In(buf, 1, 1);
            SwapEnds(buf);
            var back = nat.In2Out(buf, 1, 0, 1, dynamicSnat: false);
            translated += (r.Verdict == NatVerdict.Translated ? 1 : 0) + (back.Verdict == NatVerdict.Translated ? 1 : 0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2L * sessions, translated);
        Assert.Equal(sessions, nat.Sessions.Count);

        // Expiry never walks the table: each call removes at most its budget, oldest first.
        Assert.Equal(64, nat.Expire(now: 1e6, budget: 64));
        Assert.Equal(sessions - 64, nat.Sessions.Count);
    }

    [Fact]
    public void Session_capacity_costs_under_300_bytes_per_session_taken_up_front()
    {
        const int capacity = 100_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var nat = new Nat44(maxSessions: capacity, random: new Random(1));
        var perSession = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)capacity;
        GC.KeepAlive(nat);

        _output.WriteLine($"NAT44 memory per session of capacity: {perSession:F0} bytes ({perSession * 1000 / 1024:F0} KiB per 1000 sessions)");
        Assert.InRange(perSession, 100, 300);
    }
}
