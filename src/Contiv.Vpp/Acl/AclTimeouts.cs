using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Acl;

/// <summary>
/// Idle timeouts of reflective sessions in seconds. VPP's defaults for TCP (established 24 h,
/// transient 120 s) and UDP (600 s); ICMP echo gets 60 s and closed TCP sessions 10 s (time for the last
/// ACK of a close and retransmitted FINs), our own choices.
/// </summary>
public sealed record AclTimeouts
{
    /// <summary>TCP sessions that completed the handshake and are not closing.</summary>
    public double TcpEstablished { get; init; } = 86400;
    /// <summary>TCP sessions still opening (VPP's <c>tcp transient</c>).</summary>
    public double TcpTransitory { get; init; } = 120;
    /// <summary>TCP sessions closed by FIN both ways or a RST.</summary>
    public double TcpClosed { get; init; } = 10;
    /// <summary>UDP, SCTP and every other protocol with sessions.</summary>
    public double Udp { get; init; } = 600;
    /// <summary>ICMP echo sessions.</summary>
    public double Icmp { get; init; } = 60;

    internal double Of(SessionTimeoutClass c) => c switch
    {
        SessionTimeoutClass.TcpEstablished => TcpEstablished,
        SessionTimeoutClass.TcpTransitory => TcpTransitory,
        SessionTimeoutClass.TcpClosed => TcpClosed,
        SessionTimeoutClass.Icmp => Icmp,
        _ => Udp,
    };
}
