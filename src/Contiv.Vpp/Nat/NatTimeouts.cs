namespace Contiv.Vpp.Nat;

/// <summary>Idle timeouts of sessions in seconds (VPP's defaults: UDP 300, TCP established 7440, TCP transitory 240, ICMP 60).</summary>
internal sealed record NatTimeouts
{
    /// <summary>UDP sessions.</summary>
    public double Udp { get; init; } = 300;
    /// <summary>TCP sessions that completed the handshake and are not closing.</summary>
    public double TcpEstablished { get; init; } = 7440;
    /// <summary>TCP sessions opening, closing or closed (FIN both ways or RST).</summary>
    public double TcpTransitory { get; init; } = 240;
    /// <summary>ICMP echo sessions.</summary>
    public double Icmp { get; init; } = 60;

    /// <summary>The timeout of a class.</summary>
    public double Of(NatTimeoutClass c) => c switch
    {
        NatTimeoutClass.TcpEstablished => TcpEstablished,
        NatTimeoutClass.TcpTransitory or NatTimeoutClass.TcpClosed => TcpTransitory,
        NatTimeoutClass.Udp => Udp,
        _ => Icmp,
    };
}

/// <summary>
/// Sessions sharing one idle timeout. Each class is one LRU list, so its head is always the session
/// to expire next: expiry walks heads and stops at the first live one.
/// </summary>
internal enum NatTimeoutClass : byte
{
    /// <summary>TCP opening or closing.</summary>
    TcpTransitory = 0,
    /// <summary>TCP established.</summary>
    TcpEstablished = 1,
    /// <summary>UDP.</summary>
    Udp = 2,
    /// <summary>ICMP echo.</summary>
    Icmp = 3,
    /// <summary>TCP closed (FIN both ways or RST): the transitory timeout, on its own list so a full table can reclaim the oldest in O(1).</summary>
    TcpClosed = 4,
}
