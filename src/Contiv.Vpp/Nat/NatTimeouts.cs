using Contiv.Vpp.Sessions;

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
    public double Of(SessionTimeoutClass c) => c switch
    {
        SessionTimeoutClass.TcpEstablished => TcpEstablished,
        SessionTimeoutClass.TcpTransitory or SessionTimeoutClass.TcpClosed => TcpTransitory,
        SessionTimeoutClass.Udp => Udp,
        _ => Icmp,
    };
}
