using System.Diagnostics;
using System.Globalization;
using System.Text;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Acl;

// The show acl-plugin views (FD.io VPP's layouts; docs/acl.md shows them).
internal sealed partial class AclPlugin
{
    /// <summary><c>show acl-plugin acl [index N]</c>; <paramref name="hits"/> appends each rule's hit counter.</summary>
    public string FormatAcls(int? index, bool hits)
    {
        var sb = new StringBuilder();
        foreach (var a in All)
        {
            if (index is { } only && a.Index != only)
            {
                continue;
            }

            sb.Append(CultureInfo.InvariantCulture, $"acl-index {a.Index} count {a.Rules.Length} tag {{{a.Tag}}}\n");
            for (var r = 0; r < a.Rules.Length; r++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {r,9}: {a.Rules[r]}");
                if (hits)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" hits {a.Hits[r]}");
                }

                sb.Append('\n');
            }

            AppendApplied(sb, "inbound", AppliedOn(a.Index, input: true));
            AppendApplied(sb, "outbound", AppliedOn(a.Index, input: false));
            var used = new SortedSet<int>();
            foreach (var ctx in _contexts.Values)
            {
                foreach (var x in ctx.Acls)
                {
                    if (ReferenceEquals(x, a))
                    {
                        used.Add(ctx.Id);
                    }
                }
            }

            if (used.Count > 0)
            {
                sb.Append("  used in lookup context index: ").AppendJoin(", ", used).Append('\n');
            }
        }

        return sb.ToString();
    }

    private static void AppendApplied(StringBuilder sb, string direction, List<int> interfaces)
    {
        if (interfaces.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  applied {direction} on sw_if_index: ").AppendJoin(", ", interfaces).Append('\n');
        }
    }

    /// <summary><c>show acl-plugin interface [sw_if_index N] [acl]</c> over <paramref name="interfaces"/> (sw_if_index order).</summary>
    public string FormatInterfaces(IEnumerable<int> interfaces, int? only, bool withAcls)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        var sb = new StringBuilder();
        foreach (var sw in interfaces)
        {
            if (only is { } o && sw != o)
            {
                continue;
            }

            sb.Append(CultureInfo.InvariantCulture, $"sw_if_index {sw}:\n");
            foreach (var input in (bool[])[true, false])
            {
                var list = Applied(sw, input);
                if (list.Count == 0)
                {
                    continue;
                }

                sb.Append(input ? "  input acl(s): " : "  output acl(s): ").AppendJoin(", ", list).Append('\n');
                if (withAcls)
                {
                    foreach (var i in list)
                    {
                        sb.Append(FormatAcls(i, hits: false));
                    }
                }
            }
        }

        return sb.ToString();
    }

    /// <summary><c>show acl-plugin sessions</c>: VPP's totals and per-interface counts, then one line per session.</summary>
    public string FormatSessions(double now)
    {
        var sb = new StringBuilder();
        var (added, removed) = (Sessions.Added, Sessions.Removed);
        sb.Append(CultureInfo.InvariantCulture, $"Sessions total: add {added} - del {removed} = {added - removed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Sessions active: add {added} - deact {removed} = {added - removed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Sessions being purged: deact {removed} - del {removed} = 0\n");
        sb.Append(CultureInfo.InvariantCulture, $"now: {Stopwatch.GetTimestamp()} clocks per second: {Stopwatch.Frequency}\n\n\n");
        sb.Append("Per-thread data:\nThread #0:\n  connection add/del stats:\n");
        for (var sw = 0; sw < _sessionsAdded.Length; sw++)
        {
            if (_sessionsAdded[sw] != 0 || _sessionsDeleted[sw] != 0 || Applied(sw, true).Count > 0 || Applied(sw, false).Count > 0)
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"    sw_if_index {sw}: add {_sessionsAdded[sw]} - del {_sessionsDeleted[sw]} = {_sessionsAdded[sw] - _sessionsDeleted[sw]}; epoch chg: 0\n");
            }
        }

        sb.Append(CultureInfo.InvariantCulture, $"  sessions: {Sessions.Count} of {Sessions.Capacity}, timed out {TimedOutSessions}\n");
        for (var i = 0; i < Sessions.Capacity; i++)
        {
            ref var s = ref Sessions[i];
            if (!s.InUse)
            {
                continue;
            }

            var k = s.Key;
            var (srcA, srcP, dstA, dstP) = s.CreatedFromLo ? (k.LoAddress, k.LoPort, k.HiAddress, k.HiPort) : (k.HiAddress, k.HiPort, k.LoAddress, k.LoPort);
            var state = k.Protocol == AclTuple.Tcp ? AclTcpTracker.Describe(s.TcpState, s.Class) : "active";
            var idle = now - s.LastHeard;
            sb.Append(CultureInfo.InvariantCulture,
                $"    sw_if_index {k.SwIfIndex} proto {k.Protocol} {Ip4Address.Format(srcA)}:{srcP} -> {Ip4Address.Format(dstA)}:{dstP} {state} packets {s.Packets} idle {idle:F1}s timeout in {Timeouts.Of(s.Class) - idle:F1}s\n");
        }

        return sb.ToString();
    }
}
