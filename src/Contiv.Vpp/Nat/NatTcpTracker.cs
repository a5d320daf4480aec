using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Nat;

/// <summary>
/// Just enough TCP state to pick a session's timeout: established once the handshake completed
/// (SYN both ways, then an ACK) or — for a session picked up mid-stream — ACKs flowed both ways;
/// closing after one FIN; closed after FIN both ways or any RST. Closed and opening sessions live on
/// the short transitory timeout, so a finished connection frees its slot and port in minutes.
/// </summary>
internal static class NatTcpTracker
{
    private const NatTcpSeen SynBoth = NatTcpSeen.SynIn2Out | NatTcpSeen.SynOut2In;
    private const NatTcpSeen AckBoth = NatTcpSeen.AckIn2Out | NatTcpSeen.AckOut2In;
    private const NatTcpSeen FinBoth = NatTcpSeen.FinIn2Out | NatTcpSeen.FinOut2In;

    /// <summary>Updates the state for a segment with <paramref name="flags"/>; returns the session's timeout class.</summary>
    public static SessionTimeoutClass Update(ref NatSession s, byte flags, bool in2Out)
    {
        if ((flags & NatHeaders.Rst) != 0)
        {
            s.TcpState = NatTcpState.Closed;
        }
        else if (s.TcpState != NatTcpState.Closed)
        {
            if ((flags & NatHeaders.Syn) != 0)
            {
                s.TcpSeen |= in2Out ? NatTcpSeen.SynIn2Out : NatTcpSeen.SynOut2In;
            }
            else if ((flags & NatHeaders.Ack) != 0)
            {
                s.TcpSeen |= in2Out ? NatTcpSeen.AckIn2Out : NatTcpSeen.AckOut2In;
            }

            if ((flags & NatHeaders.Fin) != 0)
            {
                s.TcpSeen |= in2Out ? NatTcpSeen.FinIn2Out : NatTcpSeen.FinOut2In;
            }

            var seen = s.TcpSeen;
            if (s.TcpState == NatTcpState.Opening
                && (((seen & SynBoth) == SynBoth && (seen & AckBoth) != 0) || (seen & AckBoth) == AckBoth))
            {
                s.TcpState = NatTcpState.Established;
            }

            if ((seen & FinBoth) == FinBoth)
            {
                s.TcpState = NatTcpState.Closed;
            }
            else if ((seen & FinBoth) != 0)
            {
                s.TcpState = NatTcpState.Closing;
            }
        }

        return s.TcpState switch
        {
            NatTcpState.Established => SessionTimeoutClass.TcpEstablished,
            NatTcpState.Closed => SessionTimeoutClass.TcpClosed,
            _ => SessionTimeoutClass.TcpTransitory,
        };
    }
}
