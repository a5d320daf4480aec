using System.Buffers.Binary;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Nat;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>Packet rewriting: both directions of DNAT, SNAT and twice-NAT with checksums verified from scratch.</summary>
public sealed class NatTranslationTests
{
    private static readonly NatExternalKey Vip = new(A("10.96.0.10"), 80, NatProtocol.Tcp);

    private static Nat44 NewNat() => new(maxSessions: 1024, random: new Random(7));

    private static void MapVip(Nat44 nat, NatMappingFlags flags = NatMappingFlags.Out2InOnly, params NatLocal[] locals)
        => nat.Mappings.Put(Vip, flags, locals.Length > 0 ? locals : [new NatLocal(A("10.1.1.5"), 8080, 1, 0)]);

    [Fact]
    public void Tcp_to_a_service_vip_is_dnated_to_the_backend_and_the_reply_comes_back_from_the_vip()
    {
        var nat = NewNat();
        MapVip(nat);
        var syn = Tcp("10.1.1.2", 40000, "10.96.0.10", 80, Syn, payload: 10);

        var r = nat.Out2In(syn, rxFib: 1, now: 1);

        Assert.Equal(NatVerdict.Translated, r.Verdict);
        Assert.Equal(1u, r.Fib);
        Assert.Equal(("10.1.1.2", (ushort)40000, "10.1.1.5", (ushort)8080), (Src(syn), SrcPort(syn), Dst(syn), DstPort(syn)));
        AssertChecksums(syn);

        var synAck = Tcp("10.1.1.5", 8080, "10.1.1.2", 40000, Syn | Ack, payload: 3);
        var back = nat.In2Out(synAck, rxFib: 1, outsideFib: 0, now: 1.1, dynamicSnat: false);

        Assert.Equal(NatVerdict.Translated, back.Verdict);
        Assert.Equal(("10.96.0.10", (ushort)80, "10.1.1.2", (ushort)40000), (Src(synAck), SrcPort(synAck), Dst(synAck), DstPort(synAck)));
        AssertChecksums(synAck);
        Assert.Equal(1, nat.Sessions.Count);
    }

    [Fact]
    public void Udp_checksum_is_updated_and_a_zero_checksum_stays_absent()
    {
        var nat = NewNat();
        nat.Mappings.Put(new NatExternalKey(A("10.96.0.53"), 53, NatProtocol.Udp), NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.2.9"), 5353, 1, 0)]);
        var withSum = Udp("10.1.1.2", 33000, "10.96.0.53", 53);
        var noSum = Udp("10.1.1.2", 33001, "10.96.0.53", 53, checksum: false);

        nat.Out2In(withSum, 1, 0);
        nat.Out2In(noSum, 1, 0);

        Assert.Equal("10.1.2.9", Dst(withSum));
        Assert.NotEqual(0, UdpChecksumField(withSum));
        AssertChecksums(withSum);
        Assert.Equal("10.1.2.9", Dst(noSum));
        Assert.Equal(5353, DstPort(noSum));
        Assert.Equal(0, UdpChecksumField(noSum));
        Assert.True(Packets.ChecksumOk(noSum.AsSpan(0, 20)));
    }

    [Fact]
    public void Checksums_stay_right_over_many_random_addresses_and_ports()
    {
        var rng = new Random(11);
        for (var n = 0; n < 500; n++)
        {
            var nat = NewNat();
            var ext = new NatExternalKey((uint)rng.Next(), (ushort)rng.Next(1, 65536), NatProtocol.Udp);
            var local = new NatLocal((uint)rng.Next(), (ushort)rng.Next(1, 65536), 0, 0);
            nat.Mappings.Put(ext, NatMappingFlags.Out2InOnly, [local]);
            var client = Ip4Address.Format((uint)rng.Next());
            var sport = (ushort)rng.Next(1, 65536);
            var p = n % 2 == 0
                ? Udp(client, sport, Ip4Address.Format(ext.Address), ext.Port, payload: rng.Next(0, 40))
                : Tcp(client, sport, Ip4Address.Format(ext.Address), ext.Port, Syn, payload: rng.Next(0, 40));
            if (n % 2 == 1)
            {
                nat.Mappings.Put(ext with { Protocol = NatProtocol.Tcp }, NatMappingFlags.Out2InOnly, [local]);
            }

            Assert.Equal(NatVerdict.Translated, nat.Out2In(p, 0, 0).Verdict);
            AssertChecksums(p);
            Assert.Equal(Ip4Address.Format(local.Address), Dst(p));
        }
    }

    [Fact]
    public void A_partial_checksum_keeps_holding_the_pseudo_header_sum_of_the_new_addresses()
    {
        var nat = NewNat();
        MapVip(nat);
        var p = Tcp("10.1.1.2", 40000, "10.96.0.10", 80, Ack, payload: 100);

        // virtio NEEDS_CSUM: the field carries the folded pseudo-header sum, not the checksum.
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), PseudoSum(p));
        nat.Out2In(p, 1, 0, l4ChecksumPartial: true);

        Assert.Equal("10.1.1.5", Dst(p));
        Assert.Equal(PseudoSum(p), BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(36)));
        Assert.True(Packets.ChecksumOk(p.AsSpan(0, 20)));
    }

    private static ushort PseudoSum(byte[] p)
    {
        var sum = Checksum.PseudoHeader(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(12)), BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(16)), p[9], p.Length - 20);
        return Checksum.Fold(sum);
    }

    [Fact]
    public void Dynamic_snat_takes_a_pool_port_and_the_reply_is_restored()
    {
        var nat = NewNat();
        nat.Pool.Add(A("192.168.16.1"));
        var p = Udp("10.1.1.2", 5000, "8.8.8.8", 53);

        var r = nat.In2Out(p, rxFib: 1, outsideFib: 0, now: 0, dynamicSnat: true);

        Assert.Equal(NatVerdict.Translated, r.Verdict);
        Assert.Equal(0u, r.Fib);
        Assert.Equal("192.168.16.1", Src(p));
        var natPort = SrcPort(p);
        Assert.InRange(natPort, NatAddressPool.FirstPort, 65535);
        AssertChecksums(p);

        var reply = Udp("8.8.8.8", 53, "192.168.16.1", natPort);
        var back = nat.Out2In(reply, rxFib: 0, now: 0.5);

        Assert.Equal(NatVerdict.Translated, back.Verdict);
        Assert.Equal(1u, back.Fib);
        Assert.Equal(("10.1.1.2", (ushort)5000), (Dst(reply), DstPort(reply)));
        AssertChecksums(reply);
        Assert.Equal(65536 - NatAddressPool.FirstPort - 1, nat.Pool.FreePorts(A("192.168.16.1"), NatProtocol.Udp));
    }

    [Fact]
    public void Dynamic_snat_of_a_ping_translates_the_echo_identifier_both_ways()
    {
        var nat = NewNat();
        nat.Pool.Add(A("192.168.16.1"));
        var req = Echo("10.1.1.2", "1.1.1.1", id: 77);

        nat.In2Out(req, 1, 0, 0, dynamicSnat: true);
        var id = EchoId(req);
        AssertChecksums(req);
        var reply = Echo("1.1.1.1", "192.168.16.1", id, reply: true);
        nat.Out2In(reply, 0, 0);

        Assert.Equal("10.1.1.2", Dst(reply));
        Assert.Equal(77, EchoId(reply));
        AssertChecksums(reply);
    }

    [Fact]
    public void Without_dynamic_snat_an_unmatched_packet_passes_untouched()
    {
        var nat = NewNat();
        nat.Pool.Add(A("192.168.16.1"));
        var p = Udp("10.1.1.2", 5000, "10.1.2.2", 53);
        var copy = (byte[])p.Clone();

        Assert.Equal(NatVerdict.Pass, nat.In2Out(p, 1, 0, 0, dynamicSnat: false).Verdict);
        Assert.Equal(NatVerdict.Pass, nat.Out2In(p, 1, 0).Verdict);
        Assert.Equal(copy, p);
        Assert.Equal(0, nat.Sessions.Count);
    }

    [Fact]
    public void Twice_nat_rewrites_the_client_to_a_twice_nat_address_and_back()
    {
        var nat = NewNat();
        nat.Pool.Add(A("10.1.1.254"), twiceNat: true);
        MapVip(nat, NatMappingFlags.Out2InOnly | NatMappingFlags.TwiceNat);
        var p = Tcp("192.168.16.50", 41000, "10.96.0.10", 80, Syn);

        nat.Out2In(p, 0, 0);

        Assert.Equal(("10.1.1.254", "10.1.1.5", (ushort)8080), (Src(p), Dst(p), DstPort(p)));
        var tport = SrcPort(p);
        AssertChecksums(p);
        var reply = Tcp("10.1.1.5", 8080, "10.1.1.254", tport, Syn | Ack);
        var r = nat.In2Out(reply, 1, 0, 0, dynamicSnat: false);

        Assert.Equal(0u, r.Fib);
        Assert.Equal(("10.96.0.10", (ushort)80, "192.168.16.50", (ushort)41000), (Src(reply), SrcPort(reply), Dst(reply), DstPort(reply)));
        AssertChecksums(reply);
    }

    [Fact]
    public void Self_twice_nat_rewrites_the_source_only_when_the_client_is_the_chosen_backend()
    {
        var nat = NewNat();
        nat.Pool.Add(A("10.1.1.254"), twiceNat: true);
        MapVip(nat, NatMappingFlags.Out2InOnly | NatMappingFlags.SelfTwiceNat);
        var hairpin = Tcp("10.1.1.5", 42000, "10.96.0.10", 80, Syn);
        var other = Tcp("10.1.1.6", 42000, "10.96.0.10", 80, Syn);

        nat.Out2In(hairpin, 1, 0);
        nat.Out2In(other, 1, 0);

        Assert.Equal(("10.1.1.254", "10.1.1.5"), (Src(hairpin), Dst(hairpin)));
        Assert.Equal(("10.1.1.6", "10.1.1.5"), (Src(other), Dst(other)));

        // The backend answers itself through the twice-NAT address; the reply reaches it from the VIP.
        var reply = Tcp("10.1.1.5", 8080, "10.1.1.254", SrcPort(hairpin), Syn | Ack);
        nat.In2Out(reply, 1, 0, 0, dynamicSnat: false);
        Assert.Equal(("10.96.0.10", (ushort)80, "10.1.1.5", (ushort)42000), (Src(reply), SrcPort(reply), Dst(reply), DstPort(reply)));
        AssertChecksums(reply);
    }

    [Fact]
    public void A_bidirectional_static_mapping_snats_its_local_and_an_identity_mapping_passes()
    {
        var nat = NewNat();
        nat.Mappings.Put(new NatExternalKey(A("4.4.4.4"), 0, NatProtocol.None), NatMappingFlags.None, [new NatLocal(A("10.0.0.3"), 0, 0, 0)]);
        nat.Mappings.Put(new NatExternalKey(A("192.168.16.1"), 4789, NatProtocol.Udp), NatMappingFlags.Identity, [new NatLocal(A("192.168.16.1"), 4789, 0, 0)]);
        nat.Pool.Add(A("192.168.16.1"));
        var out1 = Tcp("10.0.0.3", 6303, "8.8.8.8", 80, Syn);
        var vxlan = Udp("192.168.16.1", 4789, "192.168.16.2", 4789);
        var vxlanIn = Udp("192.168.16.2", 4789, "192.168.16.1", 4789);
        var copy = (byte[])vxlan.Clone();

        nat.In2Out(out1, 0, 0, 0, dynamicSnat: true);
        var r1 = nat.In2Out(vxlan, 0, 0, 0, dynamicSnat: true);
        var r2 = nat.Out2In(vxlanIn, 0, 0);

        Assert.Equal(("4.4.4.4", (ushort)6303), (Src(out1), SrcPort(out1)));
        Assert.Equal(NatVerdict.Pass, r1.Verdict);
        Assert.Equal(NatVerdict.Pass, r2.Verdict);
        Assert.Equal(copy, vxlan);
        Assert.Equal(1, nat.Sessions.Count);
    }

    [Fact]
    public void An_address_only_identity_in_two_vrfs_exempts_the_node_address_from_snat_in_both()
    {
        var nat = NewNat();
        nat.Pool.Add(A("192.168.16.1"));
        nat.Mappings.Put(new NatExternalKey(A("192.168.16.1"), 0, NatProtocol.None), NatMappingFlags.Identity,
            [new NatLocal(A("192.168.16.1"), 0, 1, 0), new NatLocal(A("192.168.16.1"), 0, 0, 0)]);
        var fromVrf0 = Tcp("192.168.16.1", 5000, "8.8.8.8", 80, Syn);
        var fromVrf1 = Tcp("192.168.16.1", 5001, "8.8.8.8", 80, Syn);
        var fromPod = Tcp("10.1.1.2", 5002, "8.8.8.8", 80, Syn);

        Assert.Equal(NatVerdict.Pass, nat.In2Out(fromVrf0, 0, 0, 0, dynamicSnat: true).Verdict);
        Assert.Equal(NatVerdict.Pass, nat.In2Out(fromVrf1, 1, 0, 0, dynamicSnat: true).Verdict);
        Assert.Equal(NatVerdict.Translated, nat.In2Out(fromPod, 1, 0, 0, dynamicSnat: true).Verdict);
        Assert.Equal(5000, SrcPort(fromVrf0));
        Assert.Contains(" identity mapping 192.168.16.1 vrf 1 vrf 0\n", nat.FormatStaticMappings(), StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_packets_and_fragments_are_dropped_under_their_own_counters()
    {
        var nat = NewNat();
        MapVip(nat);
        var truncated = Tcp("10.1.1.2", 40000, "10.96.0.10", 80, Syn).AsSpan(0, 30).ToArray();
        var fragment = Tcp("10.1.1.2", 40000, "10.96.0.10", 80, Syn);
        fragment[6] |= 0x20;

        Assert.Equal(NatVerdict.Drop, nat.Out2In(truncated, 1, 0).Verdict);
        Assert.Equal(NatDropReason.Fragment, nat.Out2In(fragment, 1, 0).Reason);
        Assert.Equal(1, nat.Out2InCounters.Drops(NatDropReason.Malformed));
        Assert.Equal(1, nat.Out2InCounters.Drops(NatDropReason.Fragment));
    }
}
