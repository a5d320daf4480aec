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

        foreach (var i in value.EgressInterfaces)
        {
            if (!value.IngressInterfaces.Contains(i))
            {
                yield return VppKeys.Interface(i);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Rules in order; interface lists as sets (the data plane may list them in its own order).</remarks>
    public override bool Equivalent(string key, Acl desired, Acl applied)
        => desired.Rules.Equals(applied.Rules)
            && SameSet(desired.IngressInterfaces, applied.IngressInterfaces)
            && SameSet(desired.EgressInterfaces, applied.EgressInterfaces);

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
