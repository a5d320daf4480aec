using System.Buffers.Binary;
using Contiv.Vpp.Nat;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>A Service port without ready endpoints refuses at once: RST for TCP, port unreachable for UDP.</summary>
public sealed class NatRefusalTests
{
    [Fact]
    public void A_syn_to_a_vip_without_endpoints_is_refused_with_a_reset_from_the_vip()
    {
        var nat = new Nat44(maxSessions: 16);
        nat.Mappings.Put(new NatExternalKey(A("10.96.0.10"), 80, NatProtocol.Tcp), NatMappingFlags.Out2InOnly, []);
        var syn = Tcp("10.1.1.2", 40000, "10.96.0.10", 80, Syn, seq: 5000);

        var r = nat.Out2In(syn, 1, 0);
        var reply = new byte[NatRefusal.MaxLength];
        var len = NatRefusal.Build(syn, reply);
        var rst = reply.AsSpan(0, len).ToArray();

        Assert.Equal(NatVerdict.Refuse, r.Verdict);
        Assert.Equal(1, nat.Out2InCounters.Drops(NatDropReason.NoEndpoint));
        Assert.Equal(0, nat.Sessions.Count);
        Assert.Equal(("10.96.0.10", (ushort)80, "10.1.1.2", (ushort)40000), (Src(rst), SrcPort(rst), Dst(rst), DstPort(rst)));
        Assert.Equal(Rst | Ack, rst[33]);
        Assert.Equal(5001u, BinaryPrimitives.ReadUInt32BigEndian(rst.AsSpan(28)));
        AssertChecksums(rst);
    }

    [Fact]
    public void A_udp_datagram_to_a_vip_without_endpoints_gets_port_unreachable_quoting_it()
    {
        var nat = new Nat44(maxSessions: 16);
        nat.Mappings.Put(new NatExternalKey(A("10.96.0.53"), 53, NatProtocol.Udp), NatMappingFlags.Out2InOnly, []);
        var query = Udp("10.1.1.2", 33000, "10.96.0.53", 53, payload: 40);

        Assert.Equal(NatVerdict.Refuse, nat.Out2In(query, 1, 0).Verdict);
        var reply = new byte[NatRefusal.MaxLength];
        var icmp = reply.AsSpan(0, NatRefusal.Build(query, reply)).ToArray();

        Assert.Equal(("10.96.0.53", "10.1.1.2"), (Src(icmp), Dst(icmp)));
        Assert.Equal((3, 3), (icmp[20], icmp[21]));
        Assert.Equal(query, Inner(icmp));
        AssertChecksums(icmp);
    }

    [Fact]
    public void A_reset_is_never_answered()
    {
        var rst = Tcp("10.1.1.2", 40000, "10.96.0.10", 80, Rst);
        Assert.Equal(0, NatRefusal.Build(rst, new byte[NatRefusal.MaxLength]));
    }
}
