using Contiv.Vpp.Acl;
using Contiv.Vpp.Sessions;
using static Contiv.Vpp.Tests.Acl.AclPackets;
using static Contiv.Vpp.Tests.Nat.NatPackets;

namespace Contiv.Vpp.Tests.Acl;

/// <summary>
/// Reflective sessions in the engine, with the clock in the test's hands: a permit+reflect on
/// interface 1's input lets the replies leave through interface 1's output (denied by its rules),
/// TCP close tracking and the per-protocol timeouts.
/// </summary>
public sealed class AclSessionTests
{
    private const int Tap = 1;
    private const string Pod = "10.1.1.2";
    private const string Peer = "10.1.2.3";

    // Input: the pod may open TCP/UDP/ICMP (reflect), output: nothing is allowed in but the replies.
    private static AclPlugin Plugin(AclTimeouts? timeouts = null)
    {
        var p = new AclPlugin(maxSessions: 1024, timeouts);
        var reflect = p.Put(-1, "reflect", [Rule(AclAction.PermitReflect, src: $"{Pod}/32")]);
        var deny = p.Put(-1, "deny-in", [Rule(AclAction.Deny)]);
        p.Apply(Tap, input: true, reflect);
        p.Apply(Tap, input: false, deny);
        return p;
    }

    private static AclVerdict Out(AclPlugin p, byte[] ip, double now) => p.Check(Tap, input: false, ip, now);

    private static AclVerdict In(AclPlugin p, byte[] ip, double now) => p.Check(Tap, input: true, ip, now);

    [Fact]
    public void A_reflected_flow_lets_its_replies_out_of_the_same_interface_and_nothing_else()
    {
        var p = Plugin();
        Assert.Equal(AclVerdict.PermitNewSession, In(p, Tcp(Pod, 40000, Peer, 80, Syn), 0));
        Assert.Equal(AclVerdict.ExistingSession, Out(p, Tcp(Peer, 80, Pod, 40000, Syn | Ack), 0.1));
        Assert.Equal(AclVerdict.ExistingSession, In(p, Tcp(Pod, 40000, Peer, 80, Ack), 0.2));
        Assert.Equal(AclVerdict.Deny, Out(p, Tcp(Peer, 80, Pod, 40001, Syn | Ack), 0.3));
        Assert.Equal(AclVerdict.Deny, Out(p, Tcp(Peer, 81, Pod, 40000, Ack), 0.3));
        // The same 5-tuple on another interface is not the session's.
        Assert.Equal(AclVerdict.NotChecked, p.Check(2, input: false, Tcp(Peer, 80, Pod, 40000, Ack), 0.4));
        p.Apply(2, input: false, p.FindByTag("deny-in")!.Index);
        Assert.Equal(AclVerdict.Deny, p.Check(2, input: false, Tcp(Peer, 80, Pod, 40000, Ack), 0.4));
        Assert.Equal(1, p.Sessions.Count);
    }

    [Fact]
    public void Udp_and_icmp_echo_sessions_pass_replies_until_their_timeouts()
    {
        var p = Plugin(new AclTimeouts { Udp = 30, Icmp = 5 });
        Assert.Equal(AclVerdict.PermitNewSession, In(p, Udp(Pod, 5000, Peer, 53), 0));
        Assert.Equal(AclVerdict.PermitNewSession, In(p, Echo(Pod, Peer, 77), 0));
        Assert.Equal(AclVerdict.ExistingSession, Out(p, Udp(Peer, 53, Pod, 5000), 1));
        Assert.Equal(AclVerdict.ExistingSession, Out(p, Echo(Peer, Pod, 77, reply: true), 1));
        Assert.Equal(AclVerdict.Deny, Out(p, Echo(Peer, Pod, 78, reply: true), 1));

        Assert.Equal(1, p.Expire(6.5, 64));
        Assert.Equal(AclVerdict.Deny, Out(p, Echo(Peer, Pod, 77, reply: true), 6.5));
        Assert.Equal(AclVerdict.ExistingSession, Out(p, Udp(Peer, 53, Pod, 5000), 30)); // heard at 1: idle 29 s
        Assert.Equal(0, p.Expire(59.9, 64));
        Assert.Equal(1, p.Expire(60.1, 64));
        Assert.Equal(AclVerdict.Deny, Out(p, Udp(Peer, 53, Pod, 5000), 60.2));
        Assert.Equal(2, p.TimedOutSessions);
    }

    [Fact]
    public void Tcp_sessions_become_established_then_close_after_a_fin_each_way()
    {
        var p = Plugin(new AclTimeouts { TcpTransitory = 10, TcpEstablished = 1000, TcpClosed = 2 });
        In(p, Tcp(Pod, 40000, Peer, 80, Syn), 0);
        Out(p, Tcp(Peer, 80, Pod, 40000, Syn | Ack), 0);
        Assert.Equal(SessionTimeoutClass.TcpTransitory, p.Sessions[p.Sessions.Oldest(SessionTimeoutClass.TcpTransitory)].Class);
        In(p, Tcp(Pod, 40000, Peer, 80, Ack), 0);
        Assert.True(p.Sessions.Oldest(SessionTimeoutClass.TcpEstablished) >= 0);
        Assert.Equal(0, p.Expire(500, 64)); // established: long timeout

        In(p, Tcp(Pod, 40000, Peer, 80, Fin | Ack), 500);
        Assert.True(p.Sessions.Oldest(SessionTimeoutClass.TcpEstablished) >= 0); // half closed
        Assert.Equal(AclVerdict.ExistingSession, Out(p, Tcp(Peer, 80, Pod, 40000, Fin | Ack), 500));
        Assert.True(p.Sessions.Oldest(SessionTimeoutClass.TcpClosed) >= 0);
        Assert.Equal(AclVerdict.ExistingSession, In(p, Tcp(Pod, 40000, Peer, 80, Ack), 500.5)); // the last ACK
        Assert.Equal(1, p.Expire(503, 64));
        Assert.Equal(AclVerdict.Deny, Out(p, Tcp(Peer, 80, Pod, 40000, Ack), 503));
    }

    [Fact]
    public void A_rst_closes_the_session_and_a_new_syn_on_the_same_ports_starts_a_new_one()
    {
        var p = Plugin(new AclTimeouts { TcpClosed = 2 });
        In(p, Tcp(Pod, 40000, Peer, 80, Syn), 0);
        Assert.Equal(AclVerdict.ExistingSession, Out(p, Tcp(Peer, 80, Pod, 40000, Rst | Ack), 0.1));
        var closed = p.Sessions.Oldest(SessionTimeoutClass.TcpClosed);
        Assert.True(closed >= 0);

        Assert.Equal(AclVerdict.PermitNewSession, In(p, Tcp(Pod, 40000, Peer, 80, Syn), 1));
        Assert.Equal(-1, p.Sessions.Oldest(SessionTimeoutClass.TcpClosed));
        Assert.Equal(1, p.Sessions.Count);
        Assert.Equal(2, p.Sessions.Added);

        Out(p, Tcp(Peer, 80, Pod, 40000, Rst), 1.5);
        Assert.Equal(1, p.Expire(3.6, 64));
        Assert.Equal(AclVerdict.Deny, Out(p, Tcp(Peer, 80, Pod, 40000, Ack), 3.6));
    }

    [Fact]
    public void An_icmp_error_about_a_session_packet_passes_with_the_session()
    {
        var p = Plugin();
        var request = Udp(Pod, 5000, Peer, 53);
        In(p, request, 0);
        Assert.Equal(AclVerdict.ExistingSession, Out(p, IcmpError("10.9.9.9", Pod, request, type: 3, code: 4), 0.1));
        Assert.Equal(AclVerdict.Deny, Out(p, IcmpError("10.9.9.9", Pod, Udp(Pod, 5001, Peer, 53), type: 3, code: 4), 0.1));
    }

    [Fact]
    public void A_full_table_reclaims_the_oldest_closed_session_and_otherwise_refuses()
    {
        var p = new AclPlugin(maxSessions: 2);
        var reflect = p.Put(-1, "r", [Rule(AclAction.PermitReflect)]);
        p.Apply(Tap, input: true, reflect);
        Assert.Equal(AclVerdict.PermitNewSession, In(p, Tcp(Pod, 1, Peer, 80, Rst), 0));
        Assert.Equal(AclVerdict.PermitNewSession, In(p, Udp(Pod, 2, Peer, 53), 0));
        Assert.Equal(AclVerdict.PermitNewSession, In(p, Udp(Pod, 3, Peer, 53), 0)); // took the closed TCP session's slot
        Assert.Equal(AclVerdict.TooManySessions, In(p, Udp(Pod, 4, Peer, 53), 0));
    }

    [Fact]
    public void Deleting_an_interface_forgets_its_lists_and_sessions()
    {
        var p = Plugin();
        In(p, Udp(Pod, 5000, Peer, 53), 0);
        p.ForgetInterface(Tap);
        Assert.Equal(0, p.Sessions.Count);
        Assert.Empty(p.Applied(Tap, input: true));
        Assert.Equal(AclVerdict.NotChecked, Out(p, Udp(Peer, 53, Pod, 5000), 0));
    }
}
