using Contiv.Vpp.Nat;
using Contiv.Vpp.Sessions;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>Session lifetime: per-protocol timeouts on an injected clock, bounded expiry, TCP close.</summary>
public sealed class NatSessionTests
{
    private static readonly NatExternalKey Vip = new(A("10.96.0.10"), 80, NatProtocol.Tcp);

    private static Nat44 WithVip(NatTimeouts? timeouts = null)
    {
        var nat = new Nat44(maxSessions: 1024, random: new Random(1), timeouts: timeouts);
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 1), new NatLocal(A("10.1.1.6"), 8080, 1, 1)]);
        nat.Mappings.Put(Vip with { Protocol = NatProtocol.Udp }, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 0)]);
        return nat;
    }

    private static void Handshake(Nat44 nat, ushort clientPort, double now)
    {
        nat.Out2In(Tcp("10.1.9.9", clientPort, "10.96.0.10", 80, Syn), 1, now);
        nat.In2Out(Tcp(BackendOf(nat, clientPort), 8080, "10.1.9.9", clientPort, Syn | Ack), 1, 0, now, false);
        nat.Out2In(Tcp("10.1.9.9", clientPort, "10.96.0.10", 80, Ack), 1, now);
    }

    private static string BackendOf(Nat44 nat, ushort clientPort)
    {
        foreach (var i in nat.SessionIndexes())
        {
            if (nat.Sessions[i].Out2InKey.SrcPort == clientPort)
            {
                return Contiv.Vpp.Ip4.Ip4Address.Format(nat.Sessions[i].In2OutKey.Src);
            }
        }

        throw new InvalidOperationException($"no session for client port {clientPort}");
    }

    [Fact]
    public void A_udp_session_expires_after_its_idle_timeout_and_traffic_keeps_it_alive()
    {
        var nat = WithVip(new NatTimeouts { Udp = 30 });
        nat.Out2In(Udp("10.1.9.9", 5000, "10.96.0.10", 80), 1, now: 0);
        nat.Out2In(Udp("10.1.9.9", 5000, "10.96.0.10", 80), 1, now: 20);

        Assert.Equal(0, nat.Expire(now: 49, budget: 100));
        Assert.Equal(1, nat.Sessions.Count);
        Assert.Equal(1, nat.Expire(now: 50, budget: 100));
        Assert.Equal(0, nat.Sessions.Count);
        Assert.Equal(1, nat.TimedOutSessions);
    }

    [Fact]
    public void Expiry_removes_at_most_the_budget_per_call_oldest_first()
    {
        var nat = WithVip(new NatTimeouts { Udp = 10 });
        for (var i = 0; i < 100; i++)
        {
            nat.Out2In(Udp("10.1.9.9", (ushort)(5000 + i), "10.96.0.10", 80), 1, now: i * 0.01);
        }

        Assert.Equal(16, nat.Expire(now: 100, budget: 16));
        Assert.Equal(84, nat.Sessions.Count);

        // The survivors are the newest 84: the oldest went first.
        foreach (var i in nat.SessionIndexes())
        {
            Assert.True(nat.Sessions[i].Out2InKey.SrcPort >= 5016);
        }

        while (nat.Expire(100, 16) > 0)
        {
        }

        Assert.Equal(0, nat.Sessions.Count);
    }

    [Fact]
    public void An_established_tcp_session_outlives_the_transitory_timeout_and_an_opening_one_does_not()
    {
        var nat = WithVip(new NatTimeouts { TcpTransitory = 240, TcpEstablished = 7440 });
        Handshake(nat, 40000, now: 0);
        nat.Out2In(Tcp("10.1.9.9", 40001, "10.96.0.10", 80, Syn), 1, now: 0);

        Assert.Equal(1, nat.Sessions.CountOf(SessionTimeoutClass.TcpEstablished));
        Assert.Equal(1, nat.Expire(now: 300, budget: 100));
        Assert.Equal(40000, nat.Sessions[nat.SessionIndexes().Single()].Out2InKey.SrcPort);
        Assert.Equal(1, nat.Expire(now: 7440, budget: 100));
    }

    [Fact]
    public void Fin_both_ways_and_rst_close_a_session_onto_the_transitory_timeout()
    {
        var nat = WithVip(new NatTimeouts { TcpTransitory = 240, TcpEstablished = 7440 });
        Handshake(nat, 40000, now: 0);
        Handshake(nat, 40001, now: 0);
        var b0 = BackendOf(nat, 40000);

        nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Fin | Ack), 1, 10);
        Assert.Contains("total tcp transitory (WAIT-CLOSED) sessions: 1", nat.FormatSummary(), StringComparison.Ordinal);
        nat.In2Out(Tcp(b0, 8080, "10.1.9.9", 40000, Fin | Ack), 1, 0, 10, false);
        nat.Out2In(Tcp("10.1.9.9", 40001, "10.96.0.10", 80, Rst), 1, 10);

        Assert.Equal(2, nat.Sessions.CountOf(SessionTimeoutClass.TcpClosed));
        Assert.Contains("total tcp transitory (CLOSED) sessions: 2", nat.FormatSummary(), StringComparison.Ordinal);
        Assert.Equal(2, nat.Expire(now: 250, budget: 100));
    }

    [Fact]
    public void A_new_syn_on_a_closed_session_starts_a_new_session()
    {
        var nat = WithVip();
        Handshake(nat, 40000, now: 0);
        nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Rst), 1, 1);
        var created = nat.Out2InCounters.SessionsCreated;

        nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Syn), 1, 2);

        Assert.Equal(created + 1, nat.Out2InCounters.SessionsCreated);
        Assert.Equal(1, nat.Sessions.Count);
        Assert.Contains("tcp state: opening", nat.FormatSessions(2, detail: true), StringComparison.Ordinal);
    }

    // Two Services with the same single backend: a client port reused towards the second VIP meets
    // the first connection's session under the same in2out key (backend:8080 → client:port).
    private static Nat44 WithTwoVipsOneBackend()
    {
        var nat = new Nat44(maxSessions: 1024, random: new Random(1));
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 0)]);
        nat.Mappings.Put(new NatExternalKey(A("10.96.0.11"), 80, NatProtocol.Tcp), NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 0)]);
        return nat;
    }

    [Theory]
    [InlineData(Rst, "closed by RST")]
    [InlineData(0, "never answered (opening)")]
    public void A_syn_reusing_a_client_port_towards_another_vip_replaces_the_finished_session_it_collides_with(byte close, string why)
    {
        var nat = WithTwoVipsOneBackend();
        nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Syn), 1, 0);
        if (close != 0)
        {
            nat.In2Out(Tcp("10.1.1.5", 8080, "10.1.9.9", 40000, Syn | Ack), 1, 0, 0, false);
            nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, close), 1, 0.1);
        }

        var syn = Tcp("10.1.9.9", 40000, "10.96.0.11", 80, Syn);
        Assert.True(NatVerdict.Translated == nat.Out2In(syn, 1, 0.2).Verdict, why);

        // The backend's SYN-ACK goes back as the second VIP: the new session owns the key.
        var synAck = Tcp("10.1.1.5", 8080, "10.1.9.9", 40000, Syn | Ack);
        Assert.Equal(NatVerdict.Translated, nat.In2Out(synAck, 1, 0, 0.3, false).Verdict);
        Assert.Equal(A("10.96.0.11"), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(synAck.AsSpan(12)));
        Assert.Equal(1, nat.Sessions.Count);
        Assert.Equal(0, nat.Out2InCounters.Drops(NatDropReason.SessionConflict));
    }

    [Fact]
    public void A_syn_ack_matching_a_closed_session_passes_untranslated_and_the_dead_session_goes()
    {
        // A client reuses the port of a finished VIP connection to reach the backend directly: its SYN
        // passes (no mapping), the backend's SYN-ACK matches the closed VIP session's in2out key.
        var nat = WithTwoVipsOneBackend();
        Handshake(nat, 40000, now: 0);
        nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Rst), 1, 1);
        Assert.Equal(NatVerdict.Pass, nat.Out2In(Tcp("10.1.9.9", 40000, "10.1.1.5", 8080, Syn), 1, 2).Verdict);

        var synAck = Tcp("10.1.1.5", 8080, "10.1.9.9", 40000, Syn | Ack);
        Assert.Equal(NatVerdict.Pass, nat.In2Out(synAck, 1, 0, 3, false).Verdict);
        Assert.Equal(A("10.1.1.5"), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(synAck.AsSpan(12)));
        Assert.Equal(0, nat.Sessions.Count);
    }

    [Fact]
    public void A_stray_rst_creates_no_session_and_is_dropped_under_its_counter()
    {
        var nat = WithVip();
        nat.Pool.Add(A("192.168.16.1"));

        Assert.Equal(NatDropReason.RstWithoutSession, nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Rst | Ack), 1, 0).Reason);
        Assert.Equal(NatDropReason.RstWithoutSession, nat.In2Out(Tcp("10.1.1.2", 40000, "8.8.8.8", 443, Rst), 1, 0, 0, dynamicSnat: true).Reason);
        Assert.Equal(0, nat.Sessions.Count);
        Assert.Equal(1, nat.Out2InCounters.Drops(NatDropReason.RstWithoutSession));
        Assert.Contains("TCP RST without session", NatCounters.DropNames);
    }

    [Fact]
    public void A_syn_colliding_with_an_established_session_of_another_vip_is_dropped_and_the_live_session_kept()
    {
        var nat = WithTwoVipsOneBackend();
        Handshake(nat, 40000, now: 0);

        Assert.Equal(NatDropReason.SessionConflict, nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.11", 80, Syn), 1, 1).Reason);

        var data = Tcp("10.1.1.5", 8080, "10.1.9.9", 40000, Ack);
        Assert.Equal(NatVerdict.Translated, nat.In2Out(data, 1, 0, 2, false).Verdict);
        Assert.Equal(A("10.96.0.10"), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(12)));
    }

    [Fact]
    public void A_full_table_reuses_the_oldest_closed_tcp_session_for_a_new_flow()
    {
        var nat = new Nat44(maxSessions: 2, random: new Random(1));
        nat.Mappings.Put(Vip, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 0)]);
        nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Syn), 1, 0);
        nat.Out2In(Tcp("10.1.9.9", 40001, "10.96.0.10", 80, Syn), 1, 0);
        nat.Out2In(Tcp("10.1.9.9", 40000, "10.96.0.10", 80, Rst), 1, 1);

        var p = Tcp("10.1.9.9", 40002, "10.96.0.10", 80, Syn);
        Assert.Equal(NatVerdict.Translated, nat.Out2In(p, 1, 2).Verdict);

        var ports = nat.SessionIndexes().Select(i => (int)nat.Sessions[i].Out2InKey.SrcPort).Order().ToArray();
        Assert.Equal([40001, 40002], ports);
        Assert.Equal(NatDropReason.MaxSessions, nat.Out2In(Tcp("10.1.9.9", 40003, "10.96.0.10", 80, Syn), 1, 3).Reason);
    }

    [Fact]
    public void An_expired_dynamic_session_gives_its_pool_port_back()
    {
        var nat = new Nat44(maxSessions: 64, random: new Random(1), timeouts: new NatTimeouts { Udp = 5 });
        nat.Pool.Add(A("192.168.16.1"));
        var free = nat.Pool.FreePorts(A("192.168.16.1"), NatProtocol.Udp);
        for (var i = 0; i < 10; i++)
        {
            nat.In2Out(Udp("10.1.1.2", (ushort)(6000 + i), "8.8.8.8", 53), 1, 0, now: 0, dynamicSnat: true);
        }

        Assert.Equal(free - 10, nat.Pool.FreePorts(A("192.168.16.1"), NatProtocol.Udp));
        nat.Expire(10, 100);
        Assert.Equal(free, nat.Pool.FreePorts(A("192.168.16.1"), NatProtocol.Udp));
    }

    [Fact]
    public void A_full_table_drops_new_flows_under_its_counter_and_keeps_existing_ones()
    {
        var nat = new Nat44(maxSessions: 4, random: new Random(1));
        nat.Mappings.Put(Vip with { Protocol = NatProtocol.Udp }, NatMappingFlags.Out2InOnly, [new NatLocal(A("10.1.1.5"), 8080, 1, 0)]);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(NatVerdict.Translated, nat.Out2In(Udp("10.1.9.9", (ushort)(5000 + i), "10.96.0.10", 80), 1, 0).Verdict);
        }

        Assert.Equal(NatDropReason.MaxSessions, nat.Out2In(Udp("10.1.9.9", 6000, "10.96.0.10", 80), 1, 0).Reason);
        Assert.Equal(NatVerdict.Translated, nat.Out2In(Udp("10.1.9.9", 5000, "10.96.0.10", 80), 1, 0).Verdict);
        Assert.Equal(1, nat.Out2InCounters.Drops(NatDropReason.MaxSessions));
    }
}
