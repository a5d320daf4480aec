using Contiv.Agent.Policy;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// Policy ACLs (acl.proto) keyed <c>config/vpp/acls/v2/acl/{name}</c> (SPEC §3.3). A PUT replaces the ACL's rules and
/// interface lists in place, so a shared table gaining or losing a pod is one update. Needs every interface it is
/// applied to.
/// </summary>
internal sealed class VppAclDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<Acl>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-acl";

    /// <inheritdoc/>
    public override string KeyPrefix => AclKeys.Prefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, Acl value)
    {
        foreach (var i in value.IngressInterfaces)
        {
            yield return VppKeys.Interface(i);
        }

        if (value.EgressInterfaces.Count == 0)
        {
            yield break;
        }

        // A set, not RepeatedField.Contains: an ACL of a node with hundreds of pods lists hundreds of interfaces.
        var ingress = new HashSet<string>(value.IngressInterfaces, StringComparer.Ordinal);
        foreach (var i in value.EgressInterfaces)
        {
            if (!ingress.Contains(i))
            {
                yield return VppKeys.Interface(i);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Rules in order, compared in the dump's canonical form (any network = <c>0.0.0.0/0</c>, a single port = lower =
    /// upper); interface lists as sets (the data plane may list them in its own order).
    /// </remarks>
    public override bool Equivalent(string key, Acl desired, Acl applied)
    {
        if (desired.Rules.Count != applied.Rules.Count)
        {
            return false;
        }

        for (var i = 0; i < desired.Rules.Count; i++)
        {
            if (!Canonical(desired.Rules[i]).Equals(Canonical(applied.Rules[i])))
            {
                return false;
            }
        }

        return SameSet(desired.IngressInterfaces, applied.IngressInterfaces)
            && SameSet(desired.EgressInterfaces, applied.EgressInterfaces);
    }

    private static AclRule Canonical(AclRule r)
    {
        var c = r.Clone();
        c.SourceNetwork = r.SourceNetwork.Length == 0 ? "0.0.0.0/0" : r.SourceNetwork;
        c.DestinationNetwork = r.DestinationNetwork.Length == 0 ? "0.0.0.0/0" : r.DestinationNetwork;
        if (c.SrcPortUpper == 0 && c.SrcPortLower > 0)
        {
            c.SrcPortUpper = c.SrcPortLower;
        }

        if (c.DstPortUpper == 0 && c.DstPortLower > 0)
        {
            c.DstPortUpper = c.DstPortLower;
        }

        return c;
    }

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, Acl value) =>
        action == ConfigOp.Types.Action.Delete
            ? new ConfigOp { Action = action, Acl = new Acl { Name = value.Name } } // DELETE needs only the name
            : new ConfigOp { Action = action, Acl = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, Acl>> FromDump(DumpReply dump)
    {
        foreach (var acl in dump.Acls)
        {
            if (acl.Name.StartsWith(AclRenderer.NamePrefix, StringComparison.Ordinal))
            {
                yield return KeyValuePair.Create(AclRenderer.Key(acl.Name), acl);
            }
        }
    }

    private static bool SameSet(IReadOnlyCollection<string> a, IReadOnlyCollection<string> b) =>
        a.Count == b.Count && new HashSet<string>(a, StringComparer.Ordinal).SetEquals(b);
}
