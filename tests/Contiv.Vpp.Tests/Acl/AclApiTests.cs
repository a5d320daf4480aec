using Contiv.Model.Vpp;
using Contiv.Vpp.Daemon;
using static Contiv.Vpp.Tests.Nat.NatPackets;
using Api = Contiv.Model.Vpp;

namespace Contiv.Vpp.Tests.Acl;

/// <summary>
/// ACLs through the daemon's API layer (ConfigApplier, StateDump) onto an in-process data plane, as the
/// agent's batches arrive: PUT/DELETE by name, interface lists, errors naming the bad input, Dump ACLS.
/// </summary>
public sealed class AclApiTests
{
    private static ConfigOp Put(Api.Acl acl) => new() { Acl = acl };

    private static ConfigOp Delete(string name) => new() { Action = ConfigOp.Types.Action.Delete, Acl = new Api.Acl { Name = name } };

    private static Api.Acl PodAcl(TwoPortDataplane t)
    {
        var acl = new Api.Acl { Name = "contiv-policy-pod-a" };
        acl.Rules.Add(new Api.AclRule { Action = AclAction.Reflect, SourceNetwork = "10.0.0.0/24", Protocol = 6, DstPortLower = 80 });
        acl.Rules.Add(new Api.AclRule { Action = AclAction.Permit, DestinationNetwork = "10.0.1.2/32", Protocol = 132, DstPortLower = 9000, DstPortUpper = 9010 });
        acl.Rules.Add(new Api.AclRule { Action = AclAction.Deny, Protocol = 6, TcpFlagsMask = 18, TcpFlagsValue = 2 });
        acl.IngressInterfaces.Add(t.Pg0.Name);
        acl.EgressInterfaces.Add(t.Pg1.Name);
        return acl;
    }

    [Fact]
    public void A_put_acl_is_applied_to_its_interfaces_and_dumped_in_canonical_form()
    {
        using var t = new TwoPortDataplane();
        var applier = new ConfigApplier(t.Dp);
        var r = applier.ApplyOne(Put(PodAcl(t)));
        Assert.Equal(OpResult.Types.Status.Ok, r.Status);

        var dump = new StateDump(t.Dp).Dump(new DumpRequest { Kinds = { ObjectKind.Acls } });
        var acl = Assert.Single(dump.Acls);
        Assert.Equal("contiv-policy-pod-a", acl.Name);
        Assert.Equal([t.Pg0.Name], acl.IngressInterfaces);
        Assert.Equal([t.Pg1.Name], acl.EgressInterfaces);
        Assert.Equal(new Api.AclRule { Action = AclAction.Reflect, SourceNetwork = "10.0.0.0/24", DestinationNetwork = "0.0.0.0/0", Protocol = 6, DstPortLower = 80, DstPortUpper = 80 }, acl.Rules[0]);
        Assert.Equal(new Api.AclRule { Action = AclAction.Permit, SourceNetwork = "0.0.0.0/0", DestinationNetwork = "10.0.1.2/32", Protocol = 132, DstPortLower = 9000, DstPortUpper = 9010 }, acl.Rules[1]);
        Assert.Equal(new Api.AclRule { Action = AclAction.Deny, SourceNetwork = "0.0.0.0/0", DestinationNetwork = "0.0.0.0/0", Protocol = 6, TcpFlagsMask = 18, TcpFlagsValue = 2 }, acl.Rules[2]);
        Assert.Equal([0], t.Dp.AppliedAcls(t.Pg0, input: true));
        Assert.Equal([0], t.Dp.AppliedAcls(t.Pg1, input: false));
        Assert.Empty(new StateDump(t.Dp).Dump(new DumpRequest { Kinds = { ObjectKind.Nat44 } }).Acls);
    }

    [Fact]
    public void A_second_put_replaces_rules_and_interfaces_in_place_and_delete_detaches_it()
    {
        using var t = new TwoPortDataplane();
        var applier = new ConfigApplier(t.Dp);
        applier.ApplyOne(Put(new Api.Acl { Name = "other", Rules = { new Api.AclRule { Action = AclAction.Permit } }, IngressInterfaces = { t.Pg0.Name } }));
        applier.ApplyOne(Put(PodAcl(t)));
        Assert.Equal([0, 1], t.Dp.AppliedAcls(t.Pg0, input: true));

        var changed = PodAcl(t);
        changed.Rules.RemoveAt(2);
        changed.IngressInterfaces.Clear();
        changed.EgressInterfaces.Add(t.Pg0.Name);
        Assert.Equal(OpResult.Types.Status.Ok, applier.ApplyOne(Put(changed)).Status);
        var entry = t.Dp.Acls.Single(a => a.Tag == "contiv-policy-pod-a");
        Assert.Equal(1, entry.Index);
        Assert.Equal(2, entry.Rules.Count);
        Assert.Equal([0], t.Dp.AppliedAcls(t.Pg0, input: true));
        Assert.Equal([1], t.Dp.AppliedAcls(t.Pg0, input: false));
        Assert.Equal([1], t.Dp.AppliedAcls(t.Pg1, input: false));

        Assert.Equal(OpResult.Types.Status.Ok, applier.ApplyOne(Delete("contiv-policy-pod-a")).Status);
        Assert.Empty(t.Dp.AppliedAcls(t.Pg0, input: false));
        Assert.Empty(t.Dp.AppliedAcls(t.Pg1, input: false));
        Assert.Equal(OpResult.Types.Status.NotFound, applier.ApplyOne(Delete("contiv-policy-pod-a")).Status);
        Assert.Equal("other", Assert.Single(t.Dp.Acls).Tag);
    }

    [Fact]
    public void Bad_input_is_refused_with_an_error_naming_the_acl_the_rule_and_the_value()
    {
        using var t = new TwoPortDataplane();
        var applier = new ConfigApplier(t.Dp);
        var bad = PodAcl(t);
        bad.Rules[1].SourceNetwork = "10.0.0.300/24";
        var r = applier.ApplyOne(Put(bad));
        Assert.Equal(OpResult.Types.Status.Failed, r.Status);
        Assert.Equal("ACL 'contiv-policy-pod-a' rule 1: source_network '10.0.0.300/24' is not an IPv4 prefix a.b.c.d/len", r.Error);

        bad = PodAcl(t);
        bad.Rules[0].DstPortUpper = 70;
        Assert.Contains("rule 0: destination port range 80-70", applier.ApplyOne(Put(bad)).Error, StringComparison.Ordinal);

        bad = PodAcl(t);
        bad.IngressInterfaces.Add("tap99");
        r = applier.ApplyOne(Put(bad));
        Assert.Equal(OpResult.Types.Status.NotFound, r.Status);
        Assert.Equal("ACL 'contiv-policy-pod-a' ingress: unknown interface 'tap99'", r.Error);
        Assert.Empty(t.Dp.Acls); // nothing half-applied
    }

    [Fact]
    public void An_acl_put_over_the_api_filters_packets()
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Contiv.Vpp.Ip4.Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        var acl = PodAcl(t);
        acl.EgressInterfaces.Clear();
        new ConfigApplier(t.Dp).ApplyOne(Put(acl));
        t.FromA(Tcp("10.0.0.2", 40000, "10.0.1.2", 80, Syn));
        Assert.Single(t.Out1);
        t.FromA(Tcp("10.0.0.2", 40000, "10.0.1.2", 81, Syn));
        Assert.Single(t.Out1);
        Assert.Equal([1L, 0L, 1L], t.Dp.Acls[0].Hits);
    }
}
