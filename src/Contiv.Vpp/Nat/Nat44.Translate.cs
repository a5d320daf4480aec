using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Nat;

internal sealed partial class Nat44
{
    /// <summary>
    /// Outside→inside (nat44-out2in): an existing session is translated back; else a static mapping of
    /// the destination (DNAT: Service VIP, NodePort) picks a local, creates the session, translates.
    /// </summary>
    /// <param name="ip">The packet from its IPv4 header; rewritten in place.</param>
    /// <param name="rxFib">VRF the packet arrived in (the receiving interface's).</param>
    /// <param name="now">Seconds on the data plane's clock.</param>
    /// <param name="l4ChecksumPartial">The TCP/UDP checksum is partial (virtio NEEDS_CSUM / GSO).</param>
    /// <returns>The verdict; <see cref="NatResult.Fib"/> is the VRF to route the translated packet in.</returns>
    public NatResult Out2In(Span<byte> ip, uint rxFib, double now, bool l4ChecksumPartial = false)
    {
        var counters = Out2InCounters;
        switch (NatHeaders.Parse(ip, out var h))
        {
            case NatParse.Other:
                counters.CountPassed();
                return NatResult.Passed(rxFib);
            case NatParse.Malformed:
                return Drop(counters, NatDropReason.Malformed, rxFib);
            case NatParse.Fragment:
                return Drop(counters, NatDropReason.Fragment, rxFib);
        }

        if (h.IsIcmpError)
        {
            return Out2InIcmpError(ip, h, rxFib);
        }

        var key = new NatFlowKey(h.Src, h.SrcPort, h.Dst, h.DstPort, h.Protocol, rxFib);
        if (Sessions.TryFindOut2In(key, out var si))
        {
            if (!Expired(si, now) && !IsNewConnectionOnClosed(si, h))
            {
                return Out2InSession(ip, h, si, now, l4ChecksumPartial);
            }

            DeleteSession(si);
        }

        if (Mappings.TryFindByExternal(h.Dst, h.DstPort, h.Protocol, out var m))
        {
            if ((m.Flags & NatMappingFlags.Identity) != 0)
            {
                counters.CountPassed();
                return NatResult.Passed(rxFib);
            }

            if (IsRst(h))
            {
                return Drop(counters, NatDropReason.RstWithoutSession, rxFib);
            }

            if (m.Locals.Length == 0)
            {
                counters.CountDrop(NatDropReason.NoEndpoint);
                return new NatResult(NatVerdict.Refuse, NatDropReason.NoEndpoint, rxFib, -1);
            }

            var local = ChooseLocal(m, h.Src, now);
            var localPort = m.External.Protocol == NatProtocol.None || h.Protocol == NatProtocol.Icmp ? h.DstPort : local.Port;
            var clientAddr = h.Src;
            var clientPort = h.SrcPort;
            int poolIndex = -1;
            ushort poolPort = 0;
            var twice = (m.Flags & NatMappingFlags.TwiceNat) != 0
                || ((m.Flags & NatMappingFlags.SelfTwiceNat) != 0 && h.Src == local.Address);
            if (twice)
            {
                if (!Pool.TryAllocate(true, local.Vrf, m.TwiceNatAddress, h.Protocol, out poolIndex, out clientAddr, out poolPort))
                {
                    return Drop(counters, NatDropReason.NoTwiceNatAddress, rxFib);
                }

                if (h.Protocol == NatProtocol.Icmp)
                {
                    // Echo keeps its id so request and reply keys stay mirrored; only the address changes.
                    Pool.Release(poolIndex, h.Protocol, poolPort);
                    poolIndex = -1;
                }
                else
                {
                    clientPort = poolPort;
                }
            }

            var i2o = new NatFlowKey(local.Address, localPort, clientAddr, clientPort, h.Protocol, local.Vrf);
            var flags = NatSessionFlags.Static | (m.IsLoadBalancing ? NatSessionFlags.LoadBalanced : 0) | (twice ? NatSessionFlags.TwiceNat : 0);
            si = CreateSession(counters, i2o, key, h, flags, poolIndex, poolPort, now);
            return si < 0 ? Drop(counters, si == -1 ? NatDropReason.MaxSessions : NatDropReason.SessionConflict, rxFib)
                : Out2InSession(ip, h, si, now, l4ChecksumPartial);
        }

        if (!Forwarding && Pool.Contains(h.Dst))
        {
            return Drop(counters, NatDropReason.NoSession, rxFib);
        }

        counters.CountPassed();
        return NatResult.Passed(rxFib);
    }

    /// <summary>
    /// Inside→outside (nat44-in2out / nat44-in2out-output): replies of DNAT sessions get the external
    /// address back; a local of a bidirectional static mapping is SNATed to its external address;
    /// anything else is SNATed from the pool when <paramref name="dynamicSnat"/> (the output interface
    /// does dynamic SNAT), else passes.
    /// </summary>
    /// <param name="ip">The packet from its IPv4 header; rewritten in place.</param>
    /// <param name="rxFib">VRF the packet came from (inside VRF: the receiving interface's).</param>
    /// <param name="outsideFib">VRF where replies to a new SNAT session will arrive (the output interface's).</param>
    /// <param name="now">Seconds on the data plane's clock.</param>
    /// <param name="dynamicSnat">Create pool (dynamic SNAT) sessions for unmatched packets.</param>
    /// <param name="l4ChecksumPartial">The TCP/UDP checksum is partial (virtio NEEDS_CSUM / GSO).</param>
    public NatResult In2Out(Span<byte> ip, uint rxFib, uint outsideFib, double now, bool dynamicSnat, bool l4ChecksumPartial = false)
    {
        var counters = In2OutCounters;
        switch (NatHeaders.Parse(ip, out var h))
        {
            case NatParse.Other:
                counters.CountPassed();
                return NatResult.Passed(rxFib);
            case NatParse.Malformed:
                return Drop(counters, NatDropReason.Malformed, rxFib);
            case NatParse.Fragment:
                return Drop(counters, NatDropReason.Fragment, rxFib);
        }

        if (h.IsIcmpError)
        {
            return In2OutIcmpError(ip, h, rxFib);
        }

        var key = new NatFlowKey(h.Src, h.SrcPort, h.Dst, h.DstPort, h.Protocol, rxFib);
        if (Sessions.TryFindIn2Out(key, out var si))
        {
            if (!Expired(si, now) && !IsNewConnectionOnClosed(si, h))
            {
                return In2OutSession(ip, h, si, now, l4ChecksumPartial);
            }

            DeleteSession(si);
        }

        if (Mappings.TryFindByLocal(h.Src, h.SrcPort, h.Protocol, rxFib, out var m))
        {
            if ((m.Flags & NatMappingFlags.Identity) != 0)
            {
                counters.CountPassed();
                return NatResult.Passed(rxFib);
            }

            if (IsRst(h))
            {
                return Drop(counters, NatDropReason.RstWithoutSession, rxFib);
            }

            var extPort = m.External.Protocol == NatProtocol.None || h.Protocol == NatProtocol.Icmp ? h.SrcPort : m.External.Port;
            var o2i = new NatFlowKey(h.Dst, h.DstPort, m.External.Address, extPort, h.Protocol, outsideFib);
            var flags = NatSessionFlags.Static | (m.IsLoadBalancing ? NatSessionFlags.LoadBalanced : 0);
            si = CreateSession(counters, key, o2i, h, flags, -1, 0, now);
            return si < 0 ? Drop(counters, si == -1 ? NatDropReason.MaxSessions : NatDropReason.SessionConflict, rxFib)
                : In2OutSession(ip, h, si, now, l4ChecksumPartial);
        }

        if (dynamicSnat)
        {
            if (IsRst(h))
            {
                return Drop(counters, NatDropReason.RstWithoutSession, rxFib);
            }

            if (!Pool.TryAllocate(false, rxFib, 0, h.Protocol, out var poolIndex, out var addr, out var port))
            {
                return Drop(counters, NatDropReason.OutOfPorts, rxFib);
            }

            // ICMP: the allocated id replaces the echo id on both "ports" so the reply's key mirrors.
            var dstPort = h.Protocol == NatProtocol.Icmp ? port : h.DstPort;
            var o2i = new NatFlowKey(h.Dst, dstPort, addr, port, h.Protocol, outsideFib);
            si = CreateSession(counters, key, o2i, h, NatSessionFlags.None, poolIndex, port, now);
            return si < 0 ? Drop(counters, si == -1 ? NatDropReason.MaxSessions : NatDropReason.SessionConflict, rxFib)
                : In2OutSession(ip, h, si, now, l4ChecksumPartial);
        }

        counters.CountPassed();
        return NatResult.Passed(rxFib);
    }

    private NatLocal ChooseLocal(NatStaticMapping m, uint client, double now)
    {
        NatLocal local;
        if (m.AffinityTimeout == 0)
        {
            return m.Locals[m.Pick(_random)];
        }

        // A remembered local that left the mapping (endpoint churn) is replaced by a fresh pick.
        if (!Affinity.TryGet(client, m.Id, now, out var a, out var p, out var v) || !m.TryFindLocal(a, p, v, out local))
        {
            local = m.Locals[m.Pick(_random)];
        }

        Affinity.Set(client, m.Id, local.Address, local.Port, local.Vrf, now + m.AffinityTimeout);
        return local;
    }

    private int CreateSession(NatCounters counters, in NatFlowKey i2o, in NatFlowKey o2i, in NatHeaders h,
        NatSessionFlags flags, int poolIndex, ushort poolPort, double now)
    {
        var protocol = h.Protocol;
        var c = protocol switch
        {
            NatProtocol.Tcp => SessionTimeoutClass.TcpTransitory,
            NatProtocol.Udp => SessionTimeoutClass.Udp,
            _ => SessionTimeoutClass.Icmp,
        };
        var si = Sessions.Add(i2o, o2i, c, now);
        if (si == -1 && ReclaimClosedTcp())
        {
            si = Sessions.Add(i2o, o2i, c, now);
        }

        if (si == -2 && EvictFinishedConflicts(i2o, o2i, h, now))
        {
            si = Sessions.Add(i2o, o2i, c, now);
        }

        if (si < 0)
        {
            if (poolIndex >= 0)
            {
                Pool.Release(poolIndex, protocol, poolPort);
            }

            return si;
        }

        ref var s = ref Sessions[si];
        s.Flags |= flags;
        s.PoolIndex = poolIndex;
        s.PoolPort = poolPort;
        counters.CountSession();
        return si;
    }

    // A full table gives up its oldest closed TCP session (FIN both ways or RST, only waiting for
    // its transitory timeout) rather than refuse a new flow: O(1), the head of one LRU list.
    private bool ReclaimClosedTcp()
    {
        var oldest = Sessions.Oldest(SessionTimeoutClass.TcpClosed);
        if (oldest < 0)
        {
            return false;
        }

        DeleteSession(oldest);
        return true;
    }

    // A new flow whose key belongs to another session: a client reusing its source port towards a
    // second VIP with the same backend meets the first connection's session under the same in2out key
    // (backend → client:port). When that session is finished — expired, or TCP closed/not established
    // while the new packet is a SYN (VPP's nat44-ed and the kernel's conntrack treat such an entry as
    // free) — it goes and the new connection gets the key; a live connection keeps it.
    private bool EvictFinishedConflicts(in NatFlowKey i2o, in NatFlowKey o2i, in NatHeaders h, double now)
    {
        var a = Sessions.TryFindIn2Out(i2o, out var ai) ? ai : -1;
        var b = Sessions.TryFindOut2In(o2i, out var bi) ? bi : -1;
        if ((a >= 0 && !IsFinished(a, h, now)) || (b >= 0 && !IsFinished(b, h, now)))
        {
            return false;
        }

        if (a >= 0)
        {
            DeleteSession(a);
        }

        if (b >= 0 && b != a)
        {
            DeleteSession(b);
        }

        return a >= 0 || b >= 0;
    }

    private bool IsFinished(int si, in NatHeaders h, double now)
    {
        if (Expired(si, now))
        {
            return true;
        }

        ref var s = ref Sessions[si];
        return h.Protocol == NatProtocol.Tcp && s.In2OutKey.Protocol == NatProtocol.Tcp
            && (h.TcpFlags & (NatHeaders.Syn | NatHeaders.Ack)) == NatHeaders.Syn
            && s.TcpState != NatTcpState.Established;
    }

    private NatResult Out2InSession(Span<byte> ip, in NatHeaders h, int si, double now, bool partial)
    {
        ref var s = ref Sessions[si];
        var k = s.In2OutKey;

        // The translated packet is the mirror of the in2out key: external host (or twice-NAT address) → local.
        NatRewrite.Rewrite(ip, h.Protocol, k.Dst, k.DstPort, k.Src, k.SrcPort, partial);
        Account(ref s, si, h, in2Out: false, now);
        Out2InCounters.CountTranslated();
        return new NatResult(NatVerdict.Translated, NatDropReason.None, k.Fib, si);
    }

    private NatResult In2OutSession(Span<byte> ip, in NatHeaders h, int si, double now, bool partial)
    {
        ref var s = ref Sessions[si];
        var k = s.Out2InKey;
        NatRewrite.Rewrite(ip, h.Protocol, k.Dst, k.DstPort, k.Src, k.SrcPort, partial);
        Account(ref s, si, h, in2Out: true, now);
        In2OutCounters.CountTranslated();
        return new NatResult(NatVerdict.Translated, NatDropReason.None, k.Fib, si);
    }

    private void Account(ref NatSession s, int si, in NatHeaders h, bool in2Out, double now)
    {
        s.Packets++;
        s.Bytes += h.Length;
        var c = s.TimeoutClass;
        if (h.Protocol == NatProtocol.Tcp)
        {
            c = NatTcpTracker.Update(ref s, h.TcpFlags, in2Out);
        }

        Sessions.Touch(si, c, now);
    }

    // A SYN reusing the tuple of a closed connection starts a new one: the old session goes, so the
    // new connection gets a fresh load-balancing pick (and port) instead of a dead translation. A SYN-ACK
    // matching a closed session answers a SYN that did not go through it — a client reusing the port
    // of a finished VIP connection to reach the backend directly (the SYN passed untranslated) — so the
    // dead session goes and the reply passes untranslated too, instead of being sourced from the VIP.
    private bool IsNewConnectionOnClosed(int si, in NatHeaders h)
        => h.Protocol == NatProtocol.Tcp && (h.TcpFlags & NatHeaders.Syn) != 0
           && Sessions[si].TcpState == NatTcpState.Closed;

    // A stray RST (the client answering a late segment of a connection whose session is gone) must not
    // create a session: that session would hold the key of whatever connection uses the tuple next.
    private static bool IsRst(in NatHeaders h) => h.Protocol == NatProtocol.Tcp && (h.TcpFlags & NatHeaders.Rst) != 0;

    // An ICMP error quotes a packet that went the other way: the reversed quote is a key of this
    // direction. Normal packets become the mirror of the other key; the quote becomes the other key
    // itself, and the outer addresses follow where they equal the matched key's.
    private NatResult Out2InIcmpError(Span<byte> ip, in NatHeaders h, uint rxFib)
    {
        var key = new NatFlowKey(h.InnerDst, h.InnerDstPort, h.InnerSrc, h.InnerSrcPort, h.Protocol, rxFib);
        if (!Sessions.TryFindOut2In(key, out var si))
        {
            Out2InCounters.CountPassed();
            return NatResult.Passed(rxFib);
        }

        var o = Sessions[si].In2OutKey;
        NatRewrite.RewriteIcmpError(ip, h,
            h.Src == key.Src ? o.Dst : h.Src, h.Dst == key.Dst ? o.Src : h.Dst,
            o.Src, o.SrcPort, o.Dst, o.DstPort);
        Out2InCounters.CountTranslated();
        return new NatResult(NatVerdict.Translated, NatDropReason.None, o.Fib, si);
    }

    private NatResult In2OutIcmpError(Span<byte> ip, in NatHeaders h, uint rxFib)
    {
        var key = new NatFlowKey(h.InnerDst, h.InnerDstPort, h.InnerSrc, h.InnerSrcPort, h.Protocol, rxFib);
        if (!Sessions.TryFindIn2Out(key, out var si))
        {
            In2OutCounters.CountPassed();
            return NatResult.Passed(rxFib);
        }

        var o = Sessions[si].Out2InKey;
        NatRewrite.RewriteIcmpError(ip, h,
            h.Src == key.Src ? o.Dst : h.Src, h.Dst == key.Dst ? o.Src : h.Dst,
            o.Src, o.SrcPort, o.Dst, o.DstPort);
        In2OutCounters.CountTranslated();
        return new NatResult(NatVerdict.Translated, NatDropReason.None, o.Fib, si);
    }

    private static NatResult Drop(NatCounters counters, NatDropReason reason, uint fib)
    {
        counters.CountDrop(reason);
        return new NatResult(NatVerdict.Drop, reason, fib, -1);
    }
}
