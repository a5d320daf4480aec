using Contiv.Agent.Dataplane;
using Contiv.Agent.Tests.Services;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Tests.Policy;

/// <summary>The ACL descriptor reads the data plane's canonical dump form as what it put (no re-PUT on every resync).</summary>
public class VppAclDescriptorTests
{
    private readonly VppAclDescriptor _d = new(new RecordingDataplane());

    private static Acl Acl(string any, uint upper)
    {
        var a = new Acl { Name = "contiv-policy-x" };
        a.Rules.Add(new AclRule { Action = AclAction.Reflect, SourceNetwork = "10.1.1.2/32", DestinationNetwork = any, Protocol = 6, DstPortLower = 80, DstPortUpper = upper });
        a.Rules.Add(new AclRule { Action = AclAction.Deny, SourceNetwork = any, DestinationNetwork = any });
        a.EgressInterfaces.Add("tap-a");
        a.EgressInterfaces.Add("tap-b");
        return a;
    }

    [Fact]
    public void The_dumps_canonical_any_network_and_single_port_form_is_equivalent()
    {
        var desired = Acl(string.Empty, 80);
        var dumped = Acl("0.0.0.0/0", 80);
        dumped.EgressInterfaces.Clear();
        dumped.EgressInterfaces.Add("tap-b");
        dumped.EgressInterfaces.Add("tap-a");

        Assert.True(_d.Equivalent("k", desired, dumped));
        Assert.True(_d.Equivalent("k", Acl(string.Empty, 0), dumped));
    }

    [Fact]
    public void A_different_rule_or_interface_is_not_equivalent()
    {
        var desired = Acl(string.Empty, 80);
        Assert.False(_d.Equivalent("k", desired, Acl("0.0.0.0/0", 81)));
        var fewer = Acl("0.0.0.0/0", 80);
        fewer.EgressInterfaces.RemoveAt(1);
        Assert.False(_d.Equivalent("k", desired, fewer));
        var other = Acl("0.0.0.0/0", 80);
        other.Rules[1].Action = AclAction.Permit;
        Assert.False(_d.Equivalent("k", desired, other));
    }
}
