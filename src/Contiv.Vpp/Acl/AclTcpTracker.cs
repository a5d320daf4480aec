using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Acl;

/// <summary>
/// TCP state of a session from the flags both sides send: established once each side has sent an ACK
/// (the handshake's SYN-ACK and final ACK), closed after a FIN each way or any RST.
/// </summary>
internal static class AclTcpTracker
{
    private const byte AckLo = 1, AckHi = 2, FinLo = 4, FinHi = 8, Reset = 16;

    /// <summary>Updates <paramref name="state"/> with a packet's flags; returns the session's new class.</summary>
    public static SessionTimeoutClass Update(ref byte state, byte flags, bool fromLo)
    {
        if ((flags & AclTuple.Rst) != 0)
        {
            state |= Reset;
        }

        if ((flags & AclTuple.Fin) != 0)
        {
            state |= fromLo ? FinLo : FinHi;
        }

        if ((flags & AclTuple.Ack) != 0)
        {
            state |= fromLo ? AckLo : AckHi;
        }

        if ((state & Reset) != 0 || (state & (FinLo | FinHi)) == (FinLo | FinHi))
        {
            return SessionTimeoutClass.TcpClosed;
        }

        return (state & (AckLo | AckHi)) == (AckLo | AckHi) ? SessionTimeoutClass.TcpEstablished : SessionTimeoutClass.TcpTransitory;
    }

    /// <summary>Words for <c>show acl-plugin sessions</c>.</summary>
    public static string Describe(byte state, SessionTimeoutClass c) => c switch
    {
        SessionTimeoutClass.TcpClosed => (state & Reset) != 0 ? "closed (rst)" : "closed (fin)",
        SessionTimeoutClass.TcpEstablished => (state & (FinLo | FinHi)) != 0 ? "closing" : "established",
        _ => "transitory",
    };
}
