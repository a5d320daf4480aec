using Contiv.Agent.Ipam;
using Contiv.Agent.Policy;
using Contiv.Model.Ksr;
using static Contiv.Agent.Tests.Policy.PolicyBuilders;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Tests.Policy;

/// <summary>The configurator against SPEC §3.3's rules and ordering, with Kubernetes semantics (decision 1).</summary>
public class PolicyConfiguratorTests
{
    private readonly PolicyCache _cache = new();

    public PolicyConfiguratorTests()
    {
        _cache.SetNamespace("prod", Ns("prod", ("env", "prod")));
        _cache.SetNamespace("dev", Ns("dev", ("env", "dev")));
        _cache.SetPod(new PodId("web", "prod"), KsrPod("prod", "web", "10.1.1.2", ("app", "web")).WithPort("http", 8080));
        _cache.SetPod(new PodId("db", "prod"), KsrPod("prod", "db", "10.1.1.3", ("app", "db")).WithPort("sql", 5432));
        _cache.SetPod(new PodId("client", "dev"), KsrPod("dev", "client", "10.1.2.5", ("app", "client")));
    }

    private PodRules Configure(string ns, string name, params KsrPolicy[] policies) =>
        PolicyConfigurator.Configure(_cache, _cache.Pods[new PodId(name, ns)], policies, NatLoopback);

    [Fact]
    public void Ingress_from_a_pod_selector_permits_each_peer_then_the_nat_loopback_then_denies_the_rest()
    {
        var p = NetPol("prod", "db-from-web", Sel(("app", "db"))).Ingress([Tcp(5432)], PodPeer(Sel(("app", "web"))));

        var rules = Configure("prod", "db", p);

        Assert.Null(rules.Ingress); // DEFAULT without egress rules isolates ingress only
        Assert.Equal(
            ["PERMIT 10.1.1.2/32 -> any tcp 5432-5432", "PERMIT 10.1.1.254/32 -> any", "DENY any -> any"],
            Text(rules.Egress));
    }

    [Fact]
    public void A_rule_without_peers_and_ports_permits_everything_and_closes_nothing()
    {
        var p = NetPol("prod", "allow-all", Sel()).Ingress(NoPorts);

        Assert.Equal(["PERMIT any -> any"], Text(Configure("prod", "web", p).Egress));
    }

    [Fact]
    public void An_ingress_policy_without_rules_denies_everything_but_the_nat_loopback()
    {
        var p = NetPol("prod", "deny-all", Sel(), KsrPolicy.Types.PolicyType.Ingress);

        Assert.Equal(["PERMIT 10.1.1.254/32 -> any", "DENY any -> any"], Text(Configure("prod", "web", p).Egress));
    }

    [Fact]
    public void Pod_and_namespace_selector_in_one_peer_is_their_intersection()
    {
        // Only app=client pods of env=dev namespaces; web (prod) carries no app=client and db is in prod.
        _cache.SetPod(new PodId("client", "prod"), KsrPod("prod", "client", "10.1.1.9", ("app", "client")));
        var p = NetPol("prod", "p", Sel(("app", "web"))).Ingress(NoPorts, NsPeer(Sel(("env", "dev")), Sel(("app", "client"))));

        Assert.Equal(["PERMIT 10.1.1.254/32 -> any", "PERMIT 10.1.2.5/32 -> any", "DENY any -> any"], Text(Configure("prod", "web", p).Egress));
    }

    [Fact]
    public void An_empty_namespace_selector_selects_pods_of_every_namespace_including_kube_system()
    {
        _cache.SetPod(new PodId("dns", "kube-system"), KsrPod("kube-system", "dns", "10.1.3.7"));
        var p = NetPol("prod", "p", Sel(("app", "web"))).Ingress(NoPorts, NsPeer(Sel()));

        var text = Text(Configure("prod", "web", p).Egress);

        Assert.Contains("PERMIT 10.1.3.7/32 -> any", text);
        Assert.Contains("PERMIT 10.1.2.5/32 -> any", text);
        Assert.Contains("PERMIT 10.1.1.3/32 -> any", text);
    }

    [Fact]
    public void IpBlock_except_is_removed_by_subnet_subtraction()
    {
        var p = NetPol("prod", "p", Sel(("app", "web"))).Ingress([Tcp(80)], IpPeer("192.168.0.0/16", "192.168.1.0/24"));

        Assert.Equal(
            [
                "PERMIT 10.1.1.254/32 -> any",
                "PERMIT 192.168.0.0/24 -> any tcp 80-80",
                "PERMIT 192.168.2.0/23 -> any tcp 80-80",
                "PERMIT 192.168.4.0/22 -> any tcp 80-80",
                "PERMIT 192.168.8.0/21 -> any tcp 80-80",
                "PERMIT 192.168.16.0/20 -> any tcp 80-80",
                "PERMIT 192.168.32.0/19 -> any tcp 80-80",
                "PERMIT 192.168.64.0/18 -> any tcp 80-80",
                "PERMIT 192.168.128.0/17 -> any tcp 80-80",
                "DENY any -> any",
            ],
            Text(Configure("prod", "web", p).Egress));
    }

    [Fact]
    public void EndPort_becomes_a_port_range_and_sctp_and_udp_keep_their_protocol_numbers()
    {
        var p = NetPol("prod", "p", Sel(("app", "web"))).Ingress([Tcp(8000, 8100), Udp(53), Sctp(9999)]);

        var rules = Configure("prod", "web", p).Egress!;

        Assert.Equal(["PERMIT any -> any tcp 8000-8100", "PERMIT any -> any udp 53-53", "PERMIT any -> any sctp 9999-9999"], Text(rules.Skip(1).Take(3)));
        Assert.Equal(132, (int)rules[3].Protocol);
    }

    [Fact]
    public void A_named_ingress_port_resolves_against_the_target_pod_and_matches_nothing_where_it_is_unknown()
    {
        var p = NetPol("prod", "p", Sel()).Ingress([Named("http")]);

        Assert.Equal(["PERMIT 10.1.1.254/32 -> any", "PERMIT any -> any tcp 8080-8080", "DENY any -> any"], Text(Configure("prod", "web", p).Egress));
        Assert.Equal(["PERMIT 10.1.1.254/32 -> any", "DENY any -> any"], Text(Configure("prod", "db", p).Egress)); // db has no "http"
    }

    [Fact]
    public void A_named_egress_port_resolves_per_peer_pod()
    {
        var p = NetPol("prod", "p", Sel(("app", "web")), KsrPolicy.Types.PolicyType.Egress)
            .Egress([Named("sql"), Named("http")], PodPeer(Sel()));

        Assert.Equal(
            new[] { "DENY any -> any", "PERMIT any -> 10.1.1.3/32 tcp 5432-5432", "PERMIT any -> 10.1.1.2/32 tcp 8080-8080" }.Order(StringComparer.Ordinal),
            Text(Configure("prod", "web", p).Ingress).Order(StringComparer.Ordinal));
        var ordered = Configure("prod", "web", p).Ingress!;
        Assert.Equal("DENY any -> any", ordered[^1].ToString()); // any/any last
    }

    [Fact]
    public void Default_policy_type_isolates_egress_too_when_the_policy_has_egress_rules()
    {
        var p = NetPol("prod", "p", Sel(("app", "web"))).Ingress(NoPorts).Egress([Udp(53)]);

        var rules = Configure("prod", "web", p);

        Assert.Equal(["PERMIT any -> any"], Text(rules.Egress));
        Assert.Equal(["PERMIT any -> any udp 53-53", "DENY any -> any"], Text(rules.Ingress));
    }

    [Fact]
    public void Egress_type_without_rules_denies_all_egress_and_leaves_ingress_open()
    {
        var p = NetPol("prod", "p", Sel(), KsrPolicy.Types.PolicyType.Egress);

        var rules = Configure("prod", "web", p);

        Assert.Null(rules.Egress);
        Assert.Equal(["DENY any -> any"], Text(rules.Ingress));
    }

    [Fact]
    public void Several_policies_are_a_union()
    {
        var a = NetPol("prod", "a", Sel(("app", "db"))).Ingress([Tcp(5432)], PodPeer(Sel(("app", "web"))));
        var b = NetPol("prod", "b", Sel(("app", "db"))).Ingress([Tcp(5432)], NsPeer(Sel(("env", "dev"))));

        Assert.Equal(
            ["PERMIT 10.1.1.2/32 -> any tcp 5432-5432", "PERMIT 10.1.1.254/32 -> any", "PERMIT 10.1.2.5/32 -> any tcp 5432-5432", "DENY any -> any"],
            Text(Configure("prod", "db", a, b).Egress));
    }

    [Fact]
    public void Rules_follow_spec_total_order()
    {
        var rules = new List<ContivRule>
        {
            ContivRule.PermitAll,
            new(RuleAction.Permit, Linux.Ip4Prefix.Parse("10.0.0.0/8"), ContivRule.AnyNetwork, RuleProtocol.Tcp, 80, 80),
            new(RuleAction.Deny, Linux.Ip4Prefix.Parse("10.1.1.5/32"), ContivRule.AnyNetwork, RuleProtocol.Any, 0, 0),
            new(RuleAction.Permit, Linux.Ip4Prefix.Parse("10.1.1.5/32"), ContivRule.AnyNetwork, RuleProtocol.Udp, 53, 53),
            new(RuleAction.Permit, Linux.Ip4Prefix.Parse("10.1.1.5/32"), ContivRule.AnyNetwork, RuleProtocol.Tcp, 0, 0),
            new(RuleAction.Permit, Linux.Ip4Prefix.Parse("10.1.1.5/32"), ContivRule.AnyNetwork, RuleProtocol.Tcp, 80, 80),
            new(RuleAction.Deny, Linux.Ip4Prefix.Parse("10.1.1.5/32"), ContivRule.AnyNetwork, RuleProtocol.Tcp, 80, 80),
            new(RuleAction.Permit, Linux.Ip4Prefix.Parse("10.1.1.4/32"), ContivRule.AnyNetwork, RuleProtocol.Any, 0, 0),
        };
        rules.Sort();

        Assert.Equal(
            [
                "PERMIT 10.1.1.4/32 -> any",
                "DENY 10.1.1.5/32 -> any tcp 80-80",
                "PERMIT 10.1.1.5/32 -> any tcp 80-80",
                "PERMIT 10.1.1.5/32 -> any tcp",
                "PERMIT 10.1.1.5/32 -> any udp 53-53",
                "DENY 10.1.1.5/32 -> any",
                "PERMIT 10.0.0.0/8 -> any tcp 80-80",
                "PERMIT any -> any",
            ],
            Text(rules));
    }

    [Fact]
    public void Subnet_subtraction_covers_exactly_what_remains()
    {
        var parts = SubnetSubtraction.Subtract(Linux.Ip4Prefix.Parse("10.0.0.0/24"), [Linux.Ip4Prefix.Parse("10.0.0.128/25"), Linux.Ip4Prefix.Parse("10.0.0.0/26")]);
        Assert.Equal(["10.0.0.64/26"], parts.Select(p => p.ToString()));
        Assert.Empty(SubnetSubtraction.Subtract(Linux.Ip4Prefix.Parse("10.0.0.0/24"), [Linux.Ip4Prefix.Parse("10.0.0.0/16")]));
        Assert.Equal(["10.0.0.0/24"], SubnetSubtraction.Subtract(Linux.Ip4Prefix.Parse("10.0.0.0/24"), [Linux.Ip4Prefix.Parse("10.9.0.0/16")]).Select(p => p.ToString()));
    }
}
