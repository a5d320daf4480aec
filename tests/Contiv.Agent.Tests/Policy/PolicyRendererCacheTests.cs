using Contiv.Agent.Ipam;
using Contiv.Agent.Policy;
using Contiv.Linux;
using static Contiv.Agent.Tests.Policy.PolicyBuilders;

namespace Contiv.Agent.Tests.Policy;

/// <summary>Local tables, their sharing by hash, the intersection with local peers' egress, and the global table (SPEC §3.3).</summary>
public class PolicyRendererCacheTests
{
    private static readonly PodId A = new("a", "ns"), B = new("b", "ns"), C = new("c", "ns");

    private static ContivRule Permit(string src, string dst, RuleProtocol proto = RuleProtocol.Any, int port = 0) =>
        new(RuleAction.Permit, src == "any" ? ContivRule.AnyNetwork : Ip4Prefix.Parse(src), dst == "any" ? ContivRule.AnyNetwork : Ip4Prefix.Parse(dst), proto, port, port);

    private static List<ContivRule> Sorted(params ContivRule[] rules)
    {
        var l = rules.ToList();
        l.Sort();
        return l;
    }

    private static PodRules Rules(string ip, List<ContivRule>? ingress, List<ContivRule>? egress) => new(Ip4.Parse(ip), ingress, egress);

    [Fact]
    public void Pods_with_identical_rules_share_one_table_whose_id_is_the_fnv64a_of_its_rules()
    {
        var ingressRules = Sorted(Permit("10.1.1.9/32", "any", RuleProtocol.Tcp, 80), ContivRule.DenyAll);
        var cache = new PolicyRendererCache();
        cache.Update(new Dictionary<PodId, PodRules>
        {
            [A] = Rules("10.1.1.2", null, ingressRules),
            [B] = Rules("10.1.1.3", null, ingressRules),
            [C] = Rules("10.1.1.4", null, null),
        });

        var table = Assert.Single(cache.LocalTables.Values);
        Assert.Equal(table.Id, cache.PodTables[A]);
        Assert.Equal(table.Id, cache.PodTables[B]);
        Assert.False(cache.PodTables.ContainsKey(C)); // no policy: not isolated
        Assert.Equal(16, table.Id.Length);

        // FNV-64a over "rule\n" lines, computed independently here.
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes("PERMIT 10.1.1.9/32 -> any tcp 80-80\nDENY any -> any\n"))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        Assert.Equal(hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture), table.Id);
        Assert.Empty(cache.GlobalTable.Rules);
    }

    [Fact]
    public void A_local_peers_egress_narrows_what_the_pod_accepts_from_it()
    {
        // A accepts anything; B (local) may only open tcp/80 to A: A's table permits B on 80, denies the rest of B, permits the rest.
        var cache = new PolicyRendererCache();
        cache.Update(new Dictionary<PodId, PodRules>
        {
            [A] = Rules("10.1.1.2", null, null),
            [B] = Rules("10.1.1.3", Sorted(Permit("any", "10.1.1.2/32", RuleProtocol.Tcp, 80), ContivRule.DenyAll), null),
        });

        Assert.Equal(
            ["PERMIT 10.1.1.3/32 -> any tcp 80-80", "DENY 10.1.1.3/32 -> any", "PERMIT any -> any"],
            Text(cache.LocalTables[cache.PodTables[A]].Rules));
        Assert.False(cache.PodTables.ContainsKey(B)); // B's table would be PERMIT any only
        Assert.Equal(
            ["PERMIT 10.1.1.3/32 -> 10.1.1.2/32 tcp 80-80", "DENY 10.1.1.3/32 -> any", "PERMIT any -> any"],
            Text(cache.GlobalTable.Rules));
    }

    [Fact]
    public void The_intersection_keeps_only_ports_both_sides_allow()
    {
        // A accepts tcp/80 and tcp/443 from anyone; B may open tcp 400-500 to anyone: from B only 443 remains.
        var cache = new PolicyRendererCache();
        var bEgress = new List<ContivRule> { new(RuleAction.Permit, ContivRule.AnyNetwork, ContivRule.AnyNetwork, RuleProtocol.Tcp, 400, 500), ContivRule.DenyAll };
        cache.Update(new Dictionary<PodId, PodRules>
        {
            [A] = Rules("10.1.1.2", null, Sorted(Permit("any", "any", RuleProtocol.Tcp, 80), Permit("any", "any", RuleProtocol.Tcp, 443), ContivRule.DenyAll)),
            [B] = Rules("10.1.1.3", bEgress, null),
        });

        Assert.Equal(
            ["PERMIT 10.1.1.3/32 -> any tcp 443-443", "DENY 10.1.1.3/32 -> any", "PERMIT any -> any tcp 80-80", "PERMIT any -> any tcp 443-443", "DENY any -> any"],
            Text(cache.LocalTables[cache.PodTables[A]].Rules));
    }

    [Fact]
    public void A_peer_whose_egress_allows_everything_to_the_pod_changes_nothing()
    {
        var cache = new PolicyRendererCache();
        var aIngress = Sorted(Permit("10.1.1.3/32", "any", RuleProtocol.Tcp, 80), ContivRule.DenyAll);
        cache.Update(new Dictionary<PodId, PodRules>
        {
            [A] = Rules("10.1.1.2", null, aIngress),
            [B] = Rules("10.1.1.3", Sorted(Permit("any", "10.1.1.0/24"), ContivRule.DenyAll), null),
        });

        Assert.Equal(Text(aIngress), Text(cache.LocalTables[cache.PodTables[A]].Rules));
    }

    [Fact]
    public void The_global_table_is_every_local_pods_egress_with_the_pod_as_source_then_permit_any()
    {
        var cache = new PolicyRendererCache();
        cache.Update(new Dictionary<PodId, PodRules>
        {
            [A] = Rules("10.1.1.2", Sorted(Permit("any", "10.9.0.0/16", RuleProtocol.Udp, 53), ContivRule.DenyAll), null),
            [C] = Rules("10.1.1.4", Sorted(ContivRule.DenyAll), null),
        });

        Assert.Equal(RuleTable.GlobalId, cache.GlobalTable.Id);
        Assert.Equal(
            ["PERMIT 10.1.1.2/32 -> 10.9.0.0/16 udp 53-53", "DENY 10.1.1.2/32 -> any", "DENY 10.1.1.4/32 -> any", "PERMIT any -> any"],
            Text(cache.GlobalTable.Rules));
    }
}
