using Contiv.Agent.Ipam;
using Contiv.Linux;

namespace Contiv.Agent.Policy;

/// <summary>
/// Renderer cache (SPEC §3.3), in the ACL's egress orientation. A pod's <b>local table</b> (applied where packets go
/// out to the pod) starts from its vswitch-egress rules (its k8s ingress); then, because traffic between two pods of
/// this node never crosses the node-global table, the k8s egress of every other local pod P2 is folded in: when the
/// ports P2 may open to this pod are not all this pod accepts from P2, the rules from P2's /32 are replaced by PERMITs
/// of the intersection and a DENY from P2. A table without an any/any rule gets a trailing PERMIT any. A table that is
/// nothing but PERMIT any leaves the pod not isolated. Pods with identical tables share one (ID = hash). The
/// <b>global table</b> holds every local pod's vswitch-ingress rules (k8s egress) with the pod as source, then PERMIT
/// any; it is empty when no local pod has an egress policy.
/// </summary>
internal sealed class PolicyRendererCache
{
    private Dictionary<PodId, string> _podTable = [];
    private Dictionary<string, RuleTable> _tables = new(StringComparer.Ordinal);

    /// <summary>Local tables by ID.</summary>
    public IReadOnlyDictionary<string, RuleTable> LocalTables => _tables;

    /// <summary>The local table of each isolated pod (pods not listed are not isolated).</summary>
    public IReadOnlyDictionary<PodId, string> PodTables => _podTable;

    /// <summary>The node-global table (no rules when no local pod has an egress policy).</summary>
    public RuleTable GlobalTable { get; private set; } = new(RuleTable.GlobalId, []);

    /// <summary>Recomputes every table from the local pods' rules.</summary>
    /// <remarks>
    /// Every table depends on every other local pod's egress rules (the intersection step), so the tables are rebuilt
    /// as a whole; the cost is local pods² × rules per change, small next to the selector work the processor saves.
    /// </remarks>
    public void Update(IReadOnlyDictionary<PodId, PodRules> pods)
    {
        ArgumentNullException.ThrowIfNull(pods);
        var podTable = new Dictionary<PodId, string>();
        var tables = new Dictionary<string, RuleTable>(StringComparer.Ordinal);
        foreach (var (id, rules) in pods)
        {
            var local = LocalRules(id, rules, pods);
            if (local is null)
            {
                continue;
            }

            var table = RuleTable.Local(local);
            tables.TryAdd(table.Id, table);
            podTable[id] = table.Id;
        }

        var global = new List<ContivRule>();
        foreach (var (_, rules) in pods)
        {
            if (rules.Ingress is null)
            {
                continue;
            }

            var src = new Ip4Prefix(rules.Ip, 32);
            foreach (var r in rules.Ingress)
            {
                global.Add(r with { Source = src });
            }
        }

        if (global.Count > 0)
        {
            global.Sort();
            global.Add(ContivRule.PermitAll);
        }

        _podTable = podTable;
        _tables = tables;
        GlobalTable = new RuleTable(RuleTable.GlobalId, global);
    }

    /// <summary>The local table of pod <paramref name="id"/>; null when it is not isolated.</summary>
    internal static List<ContivRule>? LocalRules(PodId id, PodRules rules, IReadOnlyDictionary<PodId, PodRules> pods)
    {
        List<ContivRule> table = rules.Egress is null ? [] : [.. rules.Egress];
        foreach (var (otherId, other) in pods)
        {
            if (otherId == id || other.Ingress is null || other.Ip == rules.Ip)
            {
                continue;
            }

            var theirs = Allowed(other.Ingress, r => r.Destination.Contains(rules.Ip));
            if (theirs.Exists(p => p.IsAll))
            {
                continue; // P2 may open anything to this pod
            }

            var ours = rules.Egress is null ? [PortRange.All] : Allowed(rules.Egress, r => r.Source.Contains(other.Ip));
            var both = new HashSet<PortRange>();
            foreach (var a in theirs)
            {
                foreach (var b in ours)
                {
                    if (a.Intersect(b) is { } i)
                    {
                        both.Add(i);
                    }
                }
            }

            if (ours.Count == 0 || ours.TrueForAll(o => both.Any(x => x.Covers(o))))
            {
                continue; // this pod accepts nothing from P2, or only what P2 may open anyway: nothing to narrow
            }

            var from = new Ip4Prefix(other.Ip, 32);
            table.RemoveAll(r => r.Source == from);
            foreach (var p in both)
            {
                table.Add(new ContivRule(RuleAction.Permit, from, ContivRule.AnyNetwork, p.Protocol, p.Low, p.High));
            }

            table.Add(new ContivRule(RuleAction.Deny, from, ContivRule.AnyNetwork, RuleProtocol.Any, 0, 0));
        }

        if (!table.Exists(r => r.MatchesAll))
        {
            table.Add(ContivRule.PermitAll);
        }

        table.Sort();
        return table.Count == 1 && table[0] == ContivRule.PermitAll ? null : table;
    }

    // The port ranges the PERMIT rules selected by `applies` allow, up to the first DENY that applies too.
    private static List<PortRange> Allowed(IReadOnlyList<ContivRule> rules, Func<ContivRule, bool> applies)
    {
        var result = new List<PortRange>();
        foreach (var r in rules)
        {
            if (!applies(r))
            {
                continue;
            }

            if (r.Action == RuleAction.Deny && r.Protocol == RuleProtocol.Any)
            {
                break;
            }

            if (r.Action == RuleAction.Permit)
            {
                result.Add(r.Ports);
            }
        }

        return result;
    }
}
