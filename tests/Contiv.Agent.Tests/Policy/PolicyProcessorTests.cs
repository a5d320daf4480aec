using Contiv.Agent.Ipam;
using Contiv.Agent.Policy;
using Contiv.Linux;
using static Contiv.Agent.Tests.Policy.PolicyBuilders;
using KsrPolicy = Contiv.Model.Ksr.Policy;

namespace Contiv.Agent.Tests.Policy;

/// <summary>Which pods the processor recomputes, and Kubernetes semantics end to end through the configurator.</summary>
public class PolicyProcessorTests
{
    private static readonly PodId Web = new("web", "prod"), Db = new("db", "prod"), Client = new("client", "dev"), Remote = new("remote", "prod");
    private readonly PolicyProcessor _p = new(PodSubnet, NatLoopback);

    public PolicyProcessorTests()
    {
        _p.Resync(
            [
                KsrPod("prod", "web", "10.1.1.2", ("app", "web")),
                KsrPod("prod", "db", "10.1.1.3", ("app", "db")),
                KsrPod("dev", "client", "10.1.1.4", ("app", "client")),
                KsrPod("prod", "remote", "10.1.2.2", ("app", "db")), // another node's pod
                KsrPod("kube-system", "dns", "10.1.1.5", ("k8s-app", "dns")),
                KsrPod("default", "hostnet", "192.168.16.1", ("app", "db")),
            ],
            [Ns("prod", ("env", "prod")), Ns("dev", ("env", "dev")), Ns("kube-system")],
            [],
            new Dictionary<PodId, Ip4>());
    }

    private string[] Egress(PodId id) => Text(_p.Rules[id].Egress);

    [Fact]
    public void Only_pods_inside_this_nodes_pod_subnet_are_configured()
    {
        Assert.True(_p.Rules.ContainsKey(Web));
        Assert.False(_p.Rules.ContainsKey(Remote));
        Assert.False(_p.Rules.ContainsKey(new PodId("hostnet", "default")));
    }

    [Fact]
    public void A_policy_change_recomputes_the_pods_it_selects_before_and_after()
    {
        var changed = _p.UpdatePolicy(new PolicyId("prod", "p"), NetPol("prod", "p", Sel(("app", "db"))).Ingress(NoPorts, PodPeer(Sel(("app", "web")))));
        Assert.Equal([Db], changed); // remote (other node) is selected too but not local

        changed = _p.UpdatePolicy(new PolicyId("prod", "p"), NetPol("prod", "p", Sel(("app", "web"))).Ingress(NoPorts, PodPeer(Sel(("app", "web")))));
        Assert.Equal(new HashSet<PodId> { Db, Web }, changed.ToHashSet());
        Assert.Null(_p.Rules[Db].Egress);

        Assert.Equal([Web], _p.UpdatePolicy(new PolicyId("prod", "p"), null));
        Assert.Null(_p.Rules[Web].Egress);
    }

    [Fact]
    public void Relabelling_a_peer_pod_recomputes_the_pods_of_policies_that_reference_it()
    {
        _p.UpdatePolicy(new PolicyId("prod", "p"), NetPol("prod", "p", Sel(("app", "db"))).Ingress(NoPorts, NsPeer(Sel(("env", "dev")), Sel(("role", "trusted")))));
        Assert.DoesNotContain("PERMIT 10.1.1.4/32 -> any", Egress(Db));

        var changed = _p.UpdatePod(Client, KsrPod("dev", "client", "10.1.1.4", ("app", "client"), ("role", "trusted")));

        Assert.Contains(Db, changed);
        Assert.Contains("PERMIT 10.1.1.4/32 -> any", Egress(Db));

        changed = _p.UpdatePod(Client, KsrPod("dev", "client", "10.1.1.4", ("app", "client")));
        Assert.Contains(Db, changed);
        Assert.DoesNotContain("PERMIT 10.1.1.4/32 -> any", Egress(Db));
    }

    [Fact]
    public void Relabelling_a_namespace_recomputes_the_pods_of_policies_with_namespace_selectors()
    {
        _p.UpdatePolicy(new PolicyId("prod", "p"), NetPol("prod", "p", Sel(("app", "db"))).Ingress(NoPorts, NsPeer(Sel(("team", "blue")))));
        Assert.DoesNotContain("PERMIT 10.1.1.4/32 -> any", Egress(Db));

        var changed = _p.UpdateNamespace("dev", Ns("dev", ("env", "dev"), ("team", "blue")));

        Assert.Equal([Db], changed);
        Assert.Contains("PERMIT 10.1.1.4/32 -> any", Egress(Db));
    }

    [Fact]
    public void A_pod_that_gains_the_selected_label_becomes_isolated()
    {
        _p.UpdatePolicy(new PolicyId("dev", "deny"), NetPol("dev", "deny", Sel(("locked", "yes")), KsrPolicy.Types.PolicyType.Ingress));
        Assert.Null(_p.Rules[Client].Egress);

        _p.UpdatePod(Client, KsrPod("dev", "client", "10.1.1.4", ("app", "client"), ("locked", "yes")));

        Assert.Equal(["PERMIT 10.1.1.254/32 -> any", "DENY any -> any"], Egress(Client));
    }

    [Fact]
    public void An_empty_namespace_selector_admits_kube_system_pods()
    {
        _p.UpdatePolicy(new PolicyId("prod", "p"), NetPol("prod", "p", Sel(("app", "web"))).Ingress(NoPorts, NsPeer(Sel())));

        Assert.Contains("PERMIT 10.1.1.5/32 -> any", Egress(Web));
    }

    [Fact]
    public void A_new_peer_pod_gets_its_own_permit_in_the_tables_that_select_it()
    {
        _p.UpdatePolicy(new PolicyId("prod", "p"), NetPol("prod", "p", Sel(("app", "db"))).Ingress([Tcp(5432)], PodPeer(Sel(("app", "web")))));

        var changed = _p.UpdatePod(new PodId("web2", "prod"), KsrPod("prod", "web2", "10.1.2.9", ("app", "web")));

        Assert.Contains(Db, changed);
        Assert.Contains("PERMIT 10.1.2.9/32 -> any tcp 5432-5432", Egress(Db));
    }

    [Fact]
    public void A_local_pod_is_configured_with_the_agents_ip_before_ksr_reflects_it()
    {
        var id = new PodId("fresh", "prod");
        _p.UpdatePolicy(new PolicyId("prod", "deny"), NetPol("prod", "deny", Sel(), KsrPolicy.Types.PolicyType.Ingress));
        _p.UpdatePod(id, KsrPod("prod", "fresh", string.Empty));
        Assert.False(_p.Rules.ContainsKey(id));

        Assert.Contains(id, _p.UpdateLocalIp(id, Ip4.Parse("10.1.1.77")));
        Assert.Equal(["PERMIT 10.1.1.254/32 -> any", "DENY any -> any"], Egress(id));
    }
}
