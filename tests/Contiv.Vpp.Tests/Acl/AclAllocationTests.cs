using System.Buffers.Binary;
using Contiv.Vpp.Acl;
using static Contiv.Vpp.Tests.Acl.AclPackets;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Acl;

/// <summary>The per-packet ACL path (classification, sessions created, hit and expired) allocates nothing.</summary>
public sealed class AclAllocationTests
{
    [Fact]
    public void Checking_creating_and_expiring_sessions_allocate_no_managed_memory()
    {
        var acl = new AclPlugin(maxSessions: 8192, new AclTimeouts { Udp = 1, TcpTransitory = 1, TcpClosed = 1 });
        var rules = new List<AclRule>();
        for (var i = 0; i < 10_000; i++)
        {
            rules.Add(Rule(AclAction.Deny, src: $"10.200.{i / 250}.{i % 250}/32", proto: 6, dportLow: 80, dportHigh: 80));
        }

        rules.Add(Rule(AclAction.Deny, proto: 6, dportLow: 22, dportHigh: 22));
        rules.Add(Rule(AclAction.PermitReflect, src: "10.1.1.0/24", proto: 17, dportLow: 1000, dportHigh: 2000));
        rules.Add(Rule(AclAction.PermitReflect, src: "10.1.1.0/24", proto: 6));
        var index = acl.Put(-1, "big", [.. rules]);
        acl.Apply(1, input: true, index);
        acl.Apply(1, input: false, acl.Put(-1, "deny", [Rule(AclAction.Deny)]));

        var udp = Udp("10.1.1.2", 5000, "10.2.0.1", 1500);
        var tcp = Tcp("10.1.1.2", 40000, "10.2.0.1", 80, Syn);
        var reply = Udp("10.2.0.1", 1500, "10.1.1.2", 5000);
        var foreign = Udp("10.9.9.9", 53, "10.1.1.2", 7);
        var ssh = Tcp("10.1.1.2", 40000, "10.2.0.1", 22, Syn);
        var buf = new byte[2048];
        var now = 0.0;
        var verdicts = new long[8];

        long Run(int packets)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < packets; i++)
            {
                now += 0.0005;
                var port = (ushort)(1024 + (i & 4095));
                var p = buf.AsSpan(0, udp.Length);
                udp.CopyTo(p);
                BinaryPrimitives.WriteUInt16BigEndian(p[20..], port);
                verdicts[(int)acl.Check(1, true, p, now)]++;
                verdicts[(int)acl.Check(1, false, foreign, now)]++; // not a reply: denied
                var r = buf.AsSpan(1024, reply.Length);
                reply.CopyTo(r);
                BinaryPrimitives.WriteUInt16BigEndian(r[22..], port);
                verdicts[(int)acl.Check(1, false, r, now)]++; // the reply: its session

                var q = buf.AsSpan(0, tcp.Length);
                tcp.CopyTo(q);
                BinaryPrimitives.WriteUInt16BigEndian(q[20..], port);
                verdicts[(int)acl.Check(1, true, q, now)]++;
                verdicts[(int)acl.Check(1, true, ssh, now)]++;
                if ((i & 63) == 0)
                {
                    acl.Expire(now, 64);
                }
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Run(20_000);
        var allocated = Run(100_000);

        Assert.Equal(0, allocated);
        Assert.True(verdicts[(int)AclVerdict.PermitNewSession] > 1000, $"new sessions {verdicts[(int)AclVerdict.PermitNewSession]}");
        Assert.True(verdicts[(int)AclVerdict.ExistingSession] > 1000, $"session hits {verdicts[(int)AclVerdict.ExistingSession]}");
        Assert.Equal(240_000, verdicts[(int)AclVerdict.Deny]);
        Assert.True(acl.TimedOutSessions > 1000, $"timed out {acl.TimedOutSessions}");
    }
}
