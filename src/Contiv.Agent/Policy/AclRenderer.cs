using Contiv.Agent.Ipam;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Policy;

/// <summary>
/// ACL renderer (SPEC §3.3) over the data plane's ACL model (acl.proto): <c>contiv-policy-{tableID}</c> on the egress
/// of its pods' TAPs, <c>contiv-policy-NODE-GLOBAL</c> on the egress of the node's output interfaces, and
/// <c>contiv-policy-REFLECTION</c> (one PERMIT+REFLECT any rule) on the ingress of the pod TAPs and output interfaces.
/// </summary>
/// <remarks>
/// Where we differ from SPEC, so that connections that were open before a policy arrived keep working as in
/// Kubernetes implementations (the data plane's sessions are per interface and match both directions there):
/// <list type="bullet">
/// <item>PERMIT rules of local tables are rendered as REFLECT: a connection a table allows is tracked on the server
/// pod's TAP, and a later policy that would deny it does not cut it (new connections obey the new rules);</item>
/// <item>REFLECTION is on the ingress of <i>every</i> local pod TAP and every output interface (not only of isolated
/// pods, and not only while the global table has rules): a connection a pod opened is tracked before any policy isolates
/// it, so a later ingress policy does not drop its replies;</item>
/// <item>REFLECTION is also on the <i>egress</i> of the TAPs of pods that are not isolated: connections into them are
/// tracked, so a policy that isolates them later leaves those connections alone.</item>
/// </list>
/// The price is one session per connection per pod TAP even on a node without policies.
/// </remarks>
internal static class AclRenderer
{
    /// <summary>Name prefix of every policy ACL.</summary>
    public const string NamePrefix = "contiv-policy-";

    /// <summary>Name of the reflective ACL.</summary>
    public const string ReflectionName = NamePrefix + "REFLECTION";

    /// <summary>Name of the node-global ACL.</summary>
    public const string GlobalName = NamePrefix + RuleTable.GlobalId;

    /// <summary>Scheduler key of an ACL: <c>config/vpp/acls/v2/acl/{name}</c>.</summary>
    public static string Key(string name) => AclKeys.Prefix + name;

    /// <summary>Every ACL the node needs, by name.</summary>
    /// <param name="cache">The rendered tables.</param>
    /// <param name="podTaps">The data plane TAP of each local pod that has one.</param>
    /// <param name="outputInterfaces">The node's output interfaces (tap-vpp2, NICs, vxlanBVI).</param>
    /// <param name="reflectPermits">Render local tables' PERMITs as REFLECT (see remarks).</param>
    public static Dictionary<string, Acl> Render(PolicyRendererCache cache, IReadOnlyDictionary<PodId, string> podTaps, IReadOnlyList<string> outputInterfaces, bool reflectPermits = true)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(podTaps);
        ArgumentNullException.ThrowIfNull(outputInterfaces);
        var result = new Dictionary<string, Acl>(StringComparer.Ordinal);
        var byTable = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var unisolated = new List<string>();
        foreach (var (pod, tap) in podTaps)
        {
            if (cache.PodTables.TryGetValue(pod, out var tableId))
            {
                if (!byTable.TryGetValue(tableId, out var taps))
                {
                    byTable[tableId] = taps = [];
                }

                taps.Add(tap);
            }
            else
            {
                unisolated.Add(tap);
            }
        }

        foreach (var (id, taps) in byTable)
        {
            var acl = new Acl { Name = NamePrefix + id };
            AddRules(acl, cache.LocalTables[id].Rules, reflectPermits);
            taps.Sort(StringComparer.Ordinal);
            acl.EgressInterfaces.AddRange(taps);
            result[acl.Name] = acl;
        }

        if (cache.GlobalTable.Rules.Count > 0)
        {
            var global = new Acl { Name = GlobalName };
            AddRules(global, cache.GlobalTable.Rules, reflect: false);
            global.EgressInterfaces.AddRange(outputInterfaces);
            result[global.Name] = global;
        }

        var reflection = new Acl { Name = ReflectionName };
        reflection.Rules.Add(new AclRule { Action = AclAction.Reflect });
        var ingress = new List<string>(podTaps.Values);
        ingress.Sort(StringComparer.Ordinal);
        reflection.IngressInterfaces.AddRange(ingress);
        reflection.IngressInterfaces.AddRange(outputInterfaces);
        unisolated.Sort(StringComparer.Ordinal);
        reflection.EgressInterfaces.AddRange(unisolated);
        result[reflection.Name] = reflection;
        return result;
    }

    /// <summary>One ACL rule per <see cref="ContivRule"/>: any = empty network, port 0 = every port, else the range.</summary>
    public static AclRule ToAclRule(ContivRule r, bool reflect)
    {
        var rule = new AclRule
        {
            Action = r.Action == RuleAction.Deny ? AclAction.Deny : reflect ? AclAction.Reflect : AclAction.Permit,
            SourceNetwork = r.Source.Length == 0 ? string.Empty : r.Source.ToString(),
            DestinationNetwork = r.Destination.Length == 0 ? string.Empty : r.Destination.ToString(),
            Protocol = (uint)r.Protocol,
        };
        if (r.Protocol != RuleProtocol.Any && !r.AnyPort)
        {
            rule.DstPortLower = (uint)r.PortLow;
            rule.DstPortUpper = (uint)r.PortHigh;
        }

        return rule;
    }

    private static void AddRules(Acl acl, IReadOnlyList<ContivRule> rules, bool reflect)
    {
        foreach (var r in rules)
        {
            acl.Rules.Add(ToAclRule(r, reflect));
        }
    }
}
