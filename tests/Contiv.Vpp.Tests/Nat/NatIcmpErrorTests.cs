using Contiv.Vpp.Nat;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>ICMP errors about translated flows: outer and quoted headers both translated, every checksum right.</summary>
public sealed class NatIcmpErrorTests
{
    private static readonly NatExternalKey UdpVip = new(A("10.96.0.53"), 53, NatProtocol.Udp);

    private static void AssertQuoteIntact(byte[] error)
    {
        AssertChecksums(error);
        var inner = Inner(error);
        Assert.True(Packets.ChecksumOk(inner.AsSpan(0, 20)), "quoted IPv4 header checksum");
        AssertChecksums(inner);
    }

    [Fact]
    public void Port_unreachable_from_a_backend_reaches_the_client_with_the_vip_in_the_quote()
    {
        var nat = new Nat44(maxSessions: 64, random: new Random(1));
        nat.Mappings.Put(UdpVip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.2.9"), 5353, 1, 0)]);
        var query = Udp("10.1.1.2", 33000, "10.96.0.53", 53, payload: 30);
        nat.Out2In(query, 1, 0);

        // The backend quotes the datagram as it received it (whole, like Linux does for short ones).
        var error = IcmpError("10.1.2.9", "10.1.1.2", query, quote: query.Length);
        var r = nat.In2Out(error, 1, 0, 0, dynamicSnat: false);

        Assert.Equal(NatVerdict.Translated, r.Verdict);
        Assert.Equal(("10.96.0.53", "10.1.1.2"), (Src(error), Dst(error)));
        var inner = Inner(error);
        Assert.Equal(("10.1.1.2", (ushort)33000, "10.96.0.53", (ushort)53), (Src(inner), SrcPort(inner), Dst(inner), DstPort(inner)));
        AssertQuoteIntact(error);
    }

    [Fact]
    public void An_error_quoting_only_eight_bytes_of_tcp_is_translated_without_touching_the_missing_checksum()
    {
        var nat = new Nat44(maxSessions: 64, random: new Random(1));
        nat.Mappings.Put(new NatExternalKey(A("10.96.0.10"), 80, NatProtocol.Tcp), NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.2.9"), 8080, 1, 0)]);
        var syn = Tcp("10.1.1.2", 40000, "10.96.0.10", 80, Syn);
        nat.Out2In(syn, 1, 0);

        var error = IcmpError("10.1.2.9", "10.1.1.2", syn, type: 3, code: 4, quote: 28);
        nat.In2Out(error, 1, 0, 0, dynamicSnat: false);

        var inner = Inner(error);
        Assert.Equal(("10.96.0.10", (ushort)80), (Dst(inner), DstPort(inner)));
        AssertChecksums(error);
        Assert.True(Packets.ChecksumOk(inner.AsSpan(0, 20)));
    }

    [Fact]
    public void With_twice_nat_the_quote_gets_the_client_back_in_place_of_the_twice_nat_address()
    {
        var nat = new Nat44(maxSessions: 64, random: new Random(1));
        nat.Pool.Add(A("10.1.1.254"), twiceNat: true);
        nat.Mappings.Put(UdpVip, NatMappingFlags.Out2InOnly | NatMappingFlags.TwiceNat, [new NatLocal(A("10.1.2.9"), 5353, 1, 0)]);
        var query = Udp("192.168.16.50", 33000, "10.96.0.53", 53);
        nat.Out2In(query, 0, 0);
        Assert.Equal("10.1.1.254", Src(query));

        var error = IcmpError("10.1.2.9", "10.1.1.254", query, quote: query.Length);
        var r = nat.In2Out(error, 1, 0, 0, dynamicSnat: false);

        Assert.Equal(0u, r.Fib);
        Assert.Equal(("10.96.0.53", "192.168.16.50"), (Src(error), Dst(error)));
        var inner = Inner(error);
        Assert.Equal(("192.168.16.50", (ushort)33000, "10.96.0.53", (ushort)53), (Src(inner), SrcPort(inner), Dst(inner), DstPort(inner)));
        AssertQuoteIntact(error);
    }

    [Fact]
    public void An_error_from_the_outside_about_a_reply_reaches_the_backend_with_its_own_address_quoted()
    {
        var nat = new Nat44(maxSessions: 64, random: new Random(1));
        nat.Mappings.Put(UdpVip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.2.9"), 5353, 1, 0)]);
        nat.Out2In(Udp("192.168.16.50", 33000, "10.96.0.53", 53), 0, 0);
        var reply = Udp("10.1.2.9", 5353, "192.168.16.50", 33000, payload: 20);
        nat.In2Out(reply, 1, 0, 0, dynamicSnat: false);

        // A router on the way back cannot deliver the reply (already from the VIP).
        var error = IcmpError("192.168.16.254", "10.96.0.53", reply, type: 3, code: 1, quote: reply.Length);
        var r = nat.Out2In(error, 0, 0);

        Assert.Equal(1u, r.Fib);
        Assert.Equal(("192.168.16.254", "10.1.2.9"), (Src(error), Dst(error)));
        var inner = Inner(error);
        Assert.Equal(("10.1.2.9", (ushort)5353, "192.168.16.50", (ushort)33000), (Src(inner), SrcPort(inner), Dst(inner), DstPort(inner)));
        AssertQuoteIntact(error);
    }

    [Fact]
    public void An_error_about_no_known_flow_passes_untouched()
    {
        var nat = new Nat44(maxSessions: 64);
        var error = IcmpError("10.1.2.9", "10.1.1.2", Udp("10.1.1.2", 1, "10.1.2.9", 2));
        var copy = (byte[])error.Clone();

        Assert.Equal(NatVerdict.Pass, nat.In2Out(error, 1, 0, 0, dynamicSnat: false).Verdict);
        Assert.Equal(copy, error);
    }
}
