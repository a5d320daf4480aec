using Contiv.Vpp.Acl;
using CsCheck;
using static Contiv.Vpp.Tests.Acl.AclPackets;

namespace Contiv.Vpp.Tests.Acl;

/// <summary>The tuple-space classifier agrees with the linear definition of a first match, and its cost follows masks, not rules.</summary>
public sealed class AclClassifierTests
{
    // A small universe so random rules and packets overlap often (prefixes nest, ports collide).
    private static readonly Gen<uint> Address = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3], (a, b) => 0x0A000000u | (uint)(a << 8) | (uint)b);
    private static readonly Gen<int> Length = Gen.OneOf(0, 8, 16, 23, 24, 30, 31, 32);
    private static readonly Gen<byte> Protocol = Gen.OneOf<byte>(0, 1, 6, 17, 132, 47);
    private static readonly Gen<ushort> Port = Gen.OneOf<ushort>(Gen.OneOf<ushort>(0, 22, 80, 443), Gen.Int[0, 100].Select(p => (ushort)p));
    private static readonly Gen<(ushort, ushort)> Range = Gen.OneOf<(ushort, ushort)>(
        Gen.Const(((ushort)0, ushort.MaxValue)),
        Port.Select(p => (p, p)),
        Gen.Select(Port, Port, (a, b) => a <= b ? (a, b) : (b, a)));
    private static readonly Gen<(byte Mask, byte Value)> Flags = Gen.OneOf<(byte Mask, byte Value)>(
        Gen.Const(((byte)0, (byte)0)),
        Gen.Select(Gen.Int[0, 0x3f], Gen.Int[0, 0x3f], (m, v) => ((byte)m, (byte)(v & m))));

    private static readonly Gen<AclRule> RuleGen = Gen.Select(
        Gen.Select(Gen.OneOf(AclAction.Deny, AclAction.Permit, AclAction.PermitReflect), Address, Length, Address, Length),
        Gen.Select(Protocol, Range, Range, Flags),
        (a, b) => AclRule.Create(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, b.Item1, b.Item2.Item1, b.Item2.Item2, b.Item3.Item1, b.Item3.Item2, b.Item4.Mask, b.Item4.Value));

    private static readonly Gen<AclTuple> PacketGen = Gen.Select(
        Gen.Select(Address, Address, Protocol, Port, Port),
        Gen.Select(Gen.Int[0, 0x3f], Gen.Int[0, 9]),
        (a, b) => new AclTuple
        {
            Src = a.Item1, Dst = a.Item2, Protocol = a.Item3, SrcPort = a.Item4, DstPort = a.Item5,
            TcpFlags = (byte)b.Item1, L4Known = b.Item2 != 0,
        });

    [Fact]
    public void Tuple_space_search_finds_the_same_first_match_as_a_linear_scan()
    {
        var gen = Gen.Select(RuleGen.Array[0, 80], PacketGen.Array[1, 40]);
        Check.Sample(gen, t =>
        {
            var (rules, packets) = t;
            var c = new AclClassifier(rules);
            foreach (var p in packets)
            {
                var linear = c.MatchLinear(p);
                var tss = c.Match(p);
                if (linear != tss)
                {
                    throw new InvalidOperationException($"packet {p.Src:x8}->{p.Dst:x8} proto {p.Protocol} {p.SrcPort}->{p.DstPort} flags {p.TcpFlags} l4 {p.L4Known}: linear {linear}, tuple space {tss}");
                }
            }
        }, iter: 4000);
    }

    [Fact]
    public void Ten_thousand_host_rules_share_one_table_and_match_by_one_lookup()
    {
        var rules = new AclRule[10_001];
        for (var i = 0; i < 10_000; i++)
        {
            rules[i] = Rule(AclAction.Deny, src: $"10.200.{i / 250}.{i % 250}/32", proto: 6, dportLow: 80, dportHigh: 80);
        }

        rules[10_000] = Rule(AclAction.Permit);
        var c = new AclClassifier(rules);
        Assert.Equal(2, c.TableCount);
        var denied = new AclTuple { Src = 0x0AC81E05, Dst = 0x0A000102, Protocol = 6, SrcPort = 40000, DstPort = 80, L4Known = true };
        Assert.Equal(30 * 250 + 5, c.Match(denied));
        Assert.Equal(10_000, c.Match(denied with { DstPort = 81 }));
        Assert.Equal(10_000, c.Match(denied with { Src = 0x0A000002 }));
    }

    [Fact]
    public void A_packet_without_its_l4_header_matches_only_rules_without_an_l4_condition()
    {
        var c = new AclClassifier([Rule(AclAction.Deny, proto: 6, dportLow: 22, dportHigh: 22), Rule(AclAction.Deny, proto: 6, sportLow: 1000, sportHigh: 2000), Rule(AclAction.Permit, proto: 6)]);
        var fragment = new AclTuple { Src = 1, Dst = 2, Protocol = 6, L4Known = false };
        Assert.Equal(2, c.Match(fragment));
        Assert.Equal(0, c.Match(fragment with { L4Known = true, DstPort = 22 }));
    }
}
