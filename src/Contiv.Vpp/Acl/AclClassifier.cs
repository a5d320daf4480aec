using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Acl;

/// <summary>
/// First-match classification of a packet against an ordered rule list by tuple-space search: rules
/// are grouped by their mask — (source prefix length, destination prefix length, protocol given or
/// not, single destination port or a range) — into one hash table per mask, keyed by the rule's
/// masked fields. A packet costs one hash lookup per distinct mask, not one comparison per rule:
/// 10 000 /32 rules share one table. Each bucket holds its rules in list order, and port ranges and
/// TCP flags are checked there. Tables are visited in the order of their lowest rule, so the search
/// stops as soon as no remaining table can hold a rule earlier than the best match so far.
/// Immutable once built (rebuilt when an ACL changes); <see cref="Match"/> allocates nothing.
/// </summary>
internal sealed class AclClassifier
{
    private readonly AclRule[] _rules;
    private readonly Table[] _tables;

    /// <summary>Builds the classifier of <paramref name="rules"/> (list order = priority).</summary>
    public AclClassifier(AclRule[] rules)
    {
        _rules = rules;
        var groups = new Dictionary<(int Src, int Dst, bool Proto, bool Port), Dictionary<AclTupleKey, List<int>>>();
        for (var i = 0; i < rules.Length; i++)
        {
            ref readonly var r = ref rules[i];
            var mask = (r.SrcLength, r.DstLength, r.Protocol != 0, r.DstPortLow == r.DstPortHigh);
            if (!groups.TryGetValue(mask, out var buckets))
            {
                buckets = [];
                groups[mask] = buckets;
            }

            var key = new AclTupleKey(r.SrcAddress, r.DstAddress, r.Protocol, mask.Item4 ? r.DstPortLow : (ushort)0);
            if (!buckets.TryGetValue(key, out var list))
            {
                list = [];
                buckets[key] = list;
            }

            list.Add(i);
        }

        var tables = new List<Table>(groups.Count);
        foreach (var ((src, dst, proto, port), buckets) in groups)
        {
            var frozen = new Dictionary<AclTupleKey, int[]>(buckets.Count);
            var min = int.MaxValue;
            foreach (var (key, list) in buckets)
            {
                frozen[key] = [.. list];
                min = Math.Min(min, list[0]);
            }

            tables.Add(new Table(Ip4Address.Mask(src), Ip4Address.Mask(dst), proto, port, min, frozen));
        }

        tables.Sort((a, b) => a.FirstRule.CompareTo(b.FirstRule));
        _tables = [.. tables];
    }

    /// <summary>Number of rules.</summary>
    public int RuleCount => _rules.Length;

    /// <summary>Number of hash tables (distinct masks): the per-packet cost in lookups, at most.</summary>
    public int TableCount => _tables.Length;

    /// <summary>Index of the first rule matching <paramref name="t"/>, or -1.</summary>
    public int Match(in AclTuple t)
    {
        var best = int.MaxValue;
        foreach (var table in _tables)
        {
            if (table.FirstRule >= best)
            {
                break;
            }

            // Rules of single-port tables have an L4 condition an unknown L4 header cannot meet.
            if (table.KeysPort && !t.L4Known)
            {
                continue;
            }

            var key = new AclTupleKey(t.Src & table.SrcMask, t.Dst & table.DstMask, table.KeysProtocol ? t.Protocol : (byte)0,
                table.KeysPort ? t.DstPort : (ushort)0);
            if (!table.Buckets.TryGetValue(key, out var bucket))
            {
                continue;
            }

            foreach (var i in bucket)
            {
                if (i >= best)
                {
                    break;
                }

                if (_rules[i].L4Matches(t))
                {
                    best = i;
                    break;
                }
            }
        }

        return best == int.MaxValue ? -1 : best;
    }

    /// <summary>The same answer by walking every rule (the reference; control path and tests).</summary>
    public int MatchLinear(in AclTuple t)
    {
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Matches(t))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record Table(uint SrcMask, uint DstMask, bool KeysProtocol, bool KeysPort, int FirstRule, Dictionary<AclTupleKey, int[]> Buckets);
}
