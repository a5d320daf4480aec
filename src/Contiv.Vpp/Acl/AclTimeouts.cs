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

    internal double Of(AclTimeoutClass c) => c switch
    {
        AclTimeoutClass.TcpEstablished => TcpEstablished,
        AclTimeoutClass.TcpTransitory => TcpTransitory,
        AclTimeoutClass.TcpClosed => TcpClosed,
        AclTimeoutClass.Icmp => Icmp,
        _ => Udp,
    };
}

/// <summary>Sessions sharing one idle timeout: one LRU list each, so a list's head is the next to expire.</summary>
internal enum AclTimeoutClass : byte
{
    /// <summary>TCP opening.</summary>
    TcpTransitory = 0,
    /// <summary>TCP established.</summary>
    TcpEstablished = 1,
    /// <summary>UDP, SCTP, other protocols.</summary>
    Udp = 2,
    /// <summary>ICMP echo.</summary>
    Icmp = 3,
    /// <summary>TCP closed (FIN both ways or RST).</summary>
    TcpClosed = 4,
}
