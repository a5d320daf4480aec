using System.Globalization;
using System.Text;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Nat;

/// <summary>A session filter of <c>show nat44 sessions filter …</c> (control path).</summary>
internal delegate bool NatSessionFilter(in NatSession session);

// Control-path views for the CLI (layouts of FD.io VPP's show nat44 commands) and the agent.
internal sealed partial class Nat44
{
    /// <summary>Indexes of live sessions in slot order (control path).</summary>
    public IEnumerable<int> SessionIndexes()
    {
        for (var i = 0; i < Sessions.Capacity; i++)
        {
            if (Sessions[i].InUse)
            {
                yield return i;
            }
        }
    }

    /// <summary><c>show nat44 static mappings</c>.</summary>
    public string FormatStaticMappings()
    {
        var sb = new StringBuilder("NAT44 static mappings:\n");
        foreach (var m in Mappings.All)
        {
            FormatMapping(sb, m);
        }

        return sb.ToString();
    }

    /// <summary><c>show nat44 sessions [detail]</c>: every session, or those <paramref name="filter"/> accepts (with VPP's "Showed" line).</summary>
    public string FormatSessions(double now, bool detail = false, NatSessionFilter? filter = null)
    {
        var sb = new StringBuilder("NAT44 ED sessions:\n");
        sb.Append(CultureInfo.InvariantCulture, $"-------- thread 0 vpp_main: {Sessions.Count} sessions --------\n");
        var shown = 0;
        var filtered = 0;
        foreach (var i in SessionIndexes())
        {
            if (filter != null && !filter(Sessions[i]))
            {
                filtered++;
                continue;
            }

            FormatSession(sb, i, now, detail);
            shown++;
        }

        if (filter != null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Showed: {shown}, Filtered: {filtered} of total {Sessions.Count} sessions of thread 0\n");
        }

        return sb.ToString();
    }

    /// <summary><c>show nat44 summary</c>.</summary>
    public string FormatSummary()
    {
        int tcp = 0, closing = 0, closed = 0, udp = 0, icmp = 0;
        foreach (var i in SessionIndexes())
        {
            ref var s = ref Sessions[i];
            switch (s.In2OutKey.Protocol)
            {
                case NatProtocol.Tcp:
                    tcp++;
                    closing += s.TcpState == NatTcpState.Closing ? 1 : 0;
                    closed += s.TcpState == NatTcpState.Closed ? 1 : 0;
                    break;
                case NatProtocol.Udp:
                    udp++;
                    break;
                default:
                    icmp++;
                    break;
            }
        }

        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"max translations per thread: {Sessions.Capacity}\n");
        sb.Append(c, $"total timed out sessions: {TimedOutSessions}\n");
        sb.Append(c, $"total sessions: {Sessions.Count}\n");
        sb.Append(c, $"total tcp sessions: {tcp}\n");
        sb.Append(c, $"total tcp established sessions: {Sessions.CountOf(SessionTimeoutClass.TcpEstablished)}\n");
        sb.Append(c, $"total tcp transitory sessions: {Sessions.CountOf(SessionTimeoutClass.TcpTransitory) + Sessions.CountOf(SessionTimeoutClass.TcpClosed)}\n");
        sb.Append(c, $"total tcp transitory (WAIT-CLOSED) sessions: {closing}\n");
        sb.Append(c, $"total tcp transitory (CLOSED) sessions: {closed}\n");
        sb.Append(c, $"total udp sessions: {udp}\n");
        sb.Append(c, $"total icmp sessions: {icmp}\n");
        sb.Append(c, $"static mappings: {Mappings.Count}\n");
        sb.Append(c, $"affinity records: {Affinity.Count}\n");
        return sb.ToString();
    }

    /// <summary><c>show nat44 addresses</c>.</summary>
    public string FormatAddresses()
    {
        var sb = new StringBuilder("NAT44 pool addresses:\n");
        AppendPool(sb, twiceNat: false);
        sb.Append("NAT44 twice-nat pool addresses:\n");
        AppendPool(sb, twiceNat: true);
        return sb.ToString();
    }

    private void AppendPool(StringBuilder sb, bool twiceNat)
    {
        foreach (var (address, vrf, twice) in Pool.Addresses)
        {
            if (twice != twiceNat)
            {
                continue;
            }

            sb.Append(Ip4Address.Format(address)).Append('\n');
            sb.Append(vrf == NatAddressPool.AnyVrf ? "  tenant VRF independent\n" : string.Create(CultureInfo.InvariantCulture, $"  tenant VRF: {vrf}\n"));
            foreach (var p in (ReadOnlySpan<NatProtocol>)[NatProtocol.Tcp, NatProtocol.Udp, NatProtocol.Icmp])
            {
                var used = 65536 - NatAddressPool.FirstPort - Pool.FreePorts(address, p, twiceNat);
                sb.Append(CultureInfo.InvariantCulture, $"  {used} busy {NatProtocolNames.Format(p).ToLowerInvariant()} ports\n");
            }
        }
    }

    private static void FormatMapping(StringBuilder sb, NatStaticMapping m)
    {
        var c = CultureInfo.InvariantCulture;
        var e = m.External;
        var proto = NatProtocolNames.Format(e.Protocol);
        if ((m.Flags & NatMappingFlags.Identity) != 0)
        {
            sb.Append(e.Protocol == NatProtocol.None
                ? string.Create(c, $" identity mapping {Ip4Address.Format(e.Address)}")
                : string.Create(c, $" identity mapping {proto} {Ip4Address.Format(e.Address)}:{e.Port}"));
            foreach (var l in m.Locals)
            {
                sb.Append(c, $" vrf {l.Vrf}");
            }

            sb.Append('\n');
            return;
        }

        if (!m.IsLoadBalancing && m.Locals.Length == 1)
        {
            var l = m.Locals[0];
            sb.Append(e.Protocol == NatProtocol.None
                ? string.Create(c, $" local {Ip4Address.Format(l.Address)} external {Ip4Address.Format(e.Address)} vrf {l.Vrf}")
                : string.Create(c, $" {proto} local {Ip4Address.Format(l.Address)}:{l.Port} external {Ip4Address.Format(e.Address)}:{e.Port} vrf {l.Vrf}"));
            sb.Append((m.Flags & NatMappingFlags.TwiceNat) != 0 ? " twice-nat" : (m.Flags & NatMappingFlags.SelfTwiceNat) != 0 ? " self-twice-nat" : "");
            sb.Append((m.Flags & NatMappingFlags.Out2InOnly) != 0 ? " out2in-only" : "");
            sb.Append('\n');
            return;
        }

        // VPP's load-balancing layout: both option words always printed (empty ones leave double spaces).
        var twice = (m.Flags & NatMappingFlags.TwiceNat) != 0 ? "twice-nat" : (m.Flags & NatMappingFlags.SelfTwiceNat) != 0 ? "self twice-nat" : "";
        var o2i = (m.Flags & NatMappingFlags.Out2InOnly) != 0 ? "out2in-only" : "";
        sb.Append(c, $" {proto} external {Ip4Address.Format(e.Address)}:{e.Port} {twice} {o2i}\n");
        foreach (var l in m.Locals)
        {
            sb.Append(c, $"  local {Ip4Address.Format(l.Address)}:{l.Port} vrf {l.Vrf} probability {l.Probability}\n");
        }
    }

    private void FormatSession(StringBuilder sb, int index, double now, bool detail)
    {
        var c = CultureInfo.InvariantCulture;
        ref var s = ref Sessions[index];
        var i = s.In2OutKey;
        var o = s.Out2InKey;
        var proto = NatProtocolNames.Format(i.Protocol);
        var portWord = i.Protocol == NatProtocol.Icmp ? "id" : "port";
        sb.Append(c, $"    i2o {Ip4Address.Format(i.Src)} proto {proto} {portWord} {i.SrcPort} fib {i.Fib}\n");
        sb.Append(c, $"    o2i {Ip4Address.Format(o.Dst)} proto {proto} {portWord} {o.DstPort} fib {o.Fib}\n");
        if ((s.Flags & NatSessionFlags.TwiceNat) != 0)
        {
            sb.Append(c, $"       external host o2i {Ip4Address.Format(o.Src)}:{o.SrcPort} i2o {Ip4Address.Format(i.Dst)}:{i.DstPort}\n");
        }
        else
        {
            sb.Append(c, $"       external host {Ip4Address.Format(o.Src)}:{o.SrcPort}\n");
        }

        sb.Append("       i2o flow: ");
        AppendFlow(sb, i, o);
        sb.Append("       o2i flow: ");
        AppendFlow(sb, o, i);
        sb.Append(c, $"       index {index}\n");
        sb.Append(c, $"       last heard {s.LastHeard:F2}\n");
        sb.Append(c, $"       timeout in {s.LastHeard + Timeouts.Of(s.TimeoutClass) - now:F2}\n");
        sb.Append(c, $"       total pkts {s.Packets}, total bytes {s.Bytes}\n");
        sb.Append((s.Flags & NatSessionFlags.Static) != 0 ? "       static translation\n" : "       dynamic translation\n");
        if ((s.Flags & NatSessionFlags.LoadBalanced) != 0)
        {
            sb.Append("       load-balancing\n");
        }

        if ((s.Flags & NatSessionFlags.TwiceNat) != 0)
        {
            sb.Append("       twice-nat\n");
        }

        if (detail && i.Protocol == NatProtocol.Tcp)
        {
            sb.Append(c, $"       tcp state: {TcpStateName(s.TcpState)}\n");
        }
    }

    // A flow matches its own key and is rewritten into the mirror of the other key; only changed fields print.
    private static void AppendFlow(StringBuilder sb, NatFlowKey match, NatFlowKey other)
    {
        var c = CultureInfo.InvariantCulture;
        sb.Append(c, $"match: saddr {Ip4Address.Format(match.Src)} sport {match.SrcPort} daddr {Ip4Address.Format(match.Dst)} dport {match.DstPort} proto {NatProtocolNames.Format(match.Protocol)} fib_idx {match.Fib} rewrite:");
        if (other.Fib != match.Fib)
        {
            sb.Append(c, $" fib {other.Fib}");
        }

        if (other.Dst != match.Src)
        {
            sb.Append(c, $" saddr {Ip4Address.Format(other.Dst)}");
        }

        if (other.DstPort != match.SrcPort)
        {
            sb.Append(c, $" sport {other.DstPort}");
        }

        if (other.Src != match.Dst)
        {
            sb.Append(c, $" daddr {Ip4Address.Format(other.Src)}");
        }

        if (other.SrcPort != match.DstPort)
        {
            sb.Append(c, $" dport {other.SrcPort}");
        }

        sb.Append('\n');
    }

    private static string TcpStateName(NatTcpState state) => state switch
    {
        NatTcpState.Established => "established",
        NatTcpState.Closing => "wait-closed",
        NatTcpState.Closed => "closed",
        _ => "opening",
    };
}
