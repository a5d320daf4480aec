using Contiv.Agent.Services.Nat44;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// Service (DNAT) static mappings keyed <c>vpp/nat44/static-mapping/{tcp|udp}/{ip}:{port}</c>. A change of locals is a
/// PUT of the same key: the data plane updates the mapping in place and keeps the sessions of locals that stay.
/// Needs the global settings, the twice-NAT pool address it names and the VRFs of its locals.
/// </summary>
internal sealed class VppNat44StaticMappingDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<NatStaticMapping>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-nat44-static-mapping";

    /// <inheritdoc/>
    public override string KeyPrefix => Nat44Keys.StaticMappingPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, NatStaticMapping value)
    {
        yield return Nat44Keys.Global;
        if (value.TwiceNat != TwiceNatMode.Disabled && value.TwiceNatPoolIp.Length > 0)
        {
            yield return Nat44Keys.Address(value.TwiceNatPoolIp);
        }

        // Locals live in one or two VRFs; a service with hundreds of backends still yields at most those.
        uint? first = null;
        HashSet<uint>? more = null;
        foreach (var l in value.Locals)
        {
            if (first is null)
            {
                first = l.VrfId;
            }
            else if (l.VrfId != first && (more ??= []).Add(l.VrfId))
            {
                yield return VppKeys.Vrf(l.VrfId);
            }
        }

        if (first is { } vrf)
        {
            yield return VppKeys.Vrf(vrf);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The pool address and the label are compared only when the dump reports them.</remarks>
    public override bool Equivalent(string key, NatStaticMapping desired, NatStaticMapping applied)
        => desired.TwiceNat == applied.TwiceNat && desired.SessionAffinity == applied.SessionAffinity && desired.OutToInOnly == applied.OutToInOnly
            && (applied.TwiceNatPoolIp.Length == 0 || desired.TwiceNatPoolIp == applied.TwiceNatPoolIp)
            && (applied.Label.Length == 0 || desired.Label == applied.Label)
            && SameLocals(desired.Locals, applied.Locals);

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, NatStaticMapping value)
    {
        if (action == ConfigOp.Types.Action.Delete)
        {
            // DELETE needs only the key fields; a mapping with 300 locals need not travel to be removed.
            return new ConfigOp
            {
                Action = action,
                Nat44StaticMapping = new Nat44StaticMapping { ExternalIp = value.ExternalIp, ExternalPort = (uint)value.ExternalPort, Protocol = Nat44Protos.ToProto(value.Protocol) },
            };
        }

        return new ConfigOp { Action = action, Nat44StaticMapping = Nat44Protos.ToProto(value) };
    }

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, NatStaticMapping>> FromDump(DumpReply dump)
    {
        foreach (var p in dump.Nat44StaticMappings)
        {
            if (Nat44Protos.FromProto(p) is { } m)
            {
                yield return KeyValuePair.Create(m.Key, m);
            }
        }
    }

    // The data plane may list locals in its own order (e.g. by its load-balancing table); only the set matters.
    private static bool SameLocals(IReadOnlyList<NatLocal> desired, IReadOnlyList<NatLocal> applied)
    {
        if (desired.Count != applied.Count)
        {
            return false;
        }

        var want = new HashSet<NatLocal>(desired);
        return applied.All(want.Contains);
    }
}
