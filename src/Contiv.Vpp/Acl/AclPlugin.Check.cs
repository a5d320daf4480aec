using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Acl;

// The per-packet path: sessions first, then the interface direction's lookup context. Called by the ACL
// nodes on any worker; allocates nothing. The contexts are immutable between barriers, so classification
// takes no lock; only the session table is shared mutable state, and Lock is held just around each
// session probe or insertion (per packet, tens of ns), not for a whole vector: a worker forwarding a
// stream's data and another forwarding its ACKs through the same interface rarely wait for each other.
internal sealed partial class AclPlugin
{
    /// <summary>
    /// Decides a packet received on (<paramref name="input"/>) or sent out of interface
    /// <paramref name="swIfIndex"/>; <paramref name="ip"/> starts at its IPv4 header.
    /// </summary>
    public AclVerdict Check(int swIfIndex, bool input, ReadOnlySpan<byte> ip, double now)
    {
        var contexts = input ? _inputContext : _outputContext;
        if ((uint)swIfIndex >= (uint)contexts.Length || contexts[swIfIndex] is not { } ctx)
        {
            return AclVerdict.NotChecked;
        }

        if (!AclTuple.TryParse(ip, out var t))
        {
            return AclVerdict.Malformed;
        }

        // Only interfaces that hold sessions pay for the probe (the counters change under Lock; a stale
        // read cannot miss a session: a reply arrives long after the packet that created its session).
        if (HasSessions(swIfIndex))
        {
            lock (Lock)
            {
                if (MatchSession(swIfIndex, t, now))
                {
                    return AclVerdict.ExistingSession;
                }
            }
        }

        var rule = ctx.Classifier.Match(t);
        if (rule < 0)
        {
            return AclVerdict.NoMatch;
        }

        ctx.CountHit(rule);
        switch (ctx.Rules[rule].Action)
        {
            case AclAction.Permit:
                return AclVerdict.Permit;
            case AclAction.PermitReflect:
                lock (Lock)
                {
                    return CreateSession(swIfIndex, t, now) ? AclVerdict.PermitNewSession : AclVerdict.TooManySessions;
                }

            default:
                return AclVerdict.Deny;
        }
    }

    private bool HasSessions(int swIfIndex)
    {
        var added = _sessionsAdded;
        var deleted = _sessionsDeleted;
        return (uint)swIfIndex < (uint)added.Length && (uint)swIfIndex < (uint)deleted.Length
            && Volatile.Read(ref added[swIfIndex]) != Volatile.Read(ref deleted[swIfIndex]);
    }

    /// <summary>The session key of a packet; false when the packet cannot have a session (unknown L4, ICMP other than echo).</summary>
    private static bool KeyOf(int swIfIndex, in AclTuple t, out AclSessionKey key, out bool fromLo)
    {
        if (!t.L4Known || (t.Protocol == AclTuple.Icmp && !t.IsEcho))
        {
            key = default;
            fromLo = false;
            return false;
        }

        var (sp, dp) = t.Protocol == AclTuple.Icmp ? (t.EchoId, t.EchoId) : (t.SrcPort, t.DstPort);
        key = AclSessionKey.Of(swIfIndex, t.Protocol, t.Src, sp, t.Dst, dp, out fromLo);
        return true;
    }

    private bool MatchSession(int swIfIndex, in AclTuple t, double now)
    {
        if (t.IsIcmpError)
        {
            // An error about a packet of the session (the quoted 5-tuple, either direction) passes with it.
            var inner = AclSessionKey.Of(swIfIndex, t.InnerProtocol, t.InnerSrc, t.InnerSrcPort, t.InnerDst, t.InnerDstPort, out _);
            return Sessions.TryFind(inner, out _);
        }

        if (!KeyOf(swIfIndex, t, out var key, out var fromLo) || !Sessions.TryFind(key, out var i))
        {
            return false;
        }

        ref var s = ref Sessions[i];
        var c = s.Class;
        if (t.Protocol == AclTuple.Tcp)
        {
            // A new connection reusing the 5-tuple of a closed one is classified afresh.
            if (c == SessionTimeoutClass.TcpClosed && (t.TcpFlags & (AclTuple.Syn | AclTuple.Ack)) == AclTuple.Syn)
            {
                RemoveSession(i);
                return false;
            }

            c = AclTcpTracker.Update(ref s.TcpState, t.TcpFlags, fromLo);
        }

        Sessions.Touch(i, c, now);
        return true;
    }

    private bool CreateSession(int swIfIndex, in AclTuple t, double now)
    {
        if (!KeyOf(swIfIndex, t, out var key, out var fromLo))
        {
            return true; // permitted; nothing a session could follow
        }

        if (Sessions.TryFind(key, out _))
        {
            return true; // another worker created it since this packet's probe
        }

        byte state = 0;
        var c = t.Protocol switch
        {
            AclTuple.Tcp => AclTcpTracker.Update(ref state, t.TcpFlags, fromLo),
            AclTuple.Icmp => SessionTimeoutClass.Icmp,
            _ => SessionTimeoutClass.Udp,
        };
        var i = Sessions.Add(key, c, now, fromLo);
        if (i < 0)
        {
            // Full: reclaim the oldest closed TCP session rather than refuse a new flow.
            var oldest = Sessions.Oldest(SessionTimeoutClass.TcpClosed);
            if (oldest < 0)
            {
                return false;
            }

            RemoveSession(oldest);
            i = Sessions.Add(key, c, now, fromLo);
        }

        Sessions[i].TcpState = state;
        _sessionsAdded[swIfIndex]++;
        Volatile.Write(ref _liveSessions, Sessions.Count);
        return true;
    }
}
