using Contiv.Agent.Services.Nat44;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// Identity mappings (traffic to/from the address, or address and port, is never translated), keyed
/// <c>vpp/nat44/identity-mapping/vrf/{vrf}/{tcp|udp|any}/{ip}[:{port}]</c>; needs the global settings and its VRF.
/// </summary>
internal sealed class VppNat44IdentityMappingDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<NatIdentityMapping>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-nat44-identity-mapping";

    /// <inheritdoc/>
    public override string KeyPrefix => Nat44Keys.IdentityMappingPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, NatIdentityMapping value) => [Nat44Keys.Global, VppKeys.Vrf(value.VrfId)];

    /// <inheritdoc/>
    /// <remarks>Everything but the label is in the key; the label is compared only when the dump reports it.</remarks>
    public override bool Equivalent(string key, NatIdentityMapping desired, NatIdentityMapping applied)
        => applied.Label.Length == 0 || desired.Label == applied.Label;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, NatIdentityMapping value) => new() { Action = action, Nat44IdentityMapping = Nat44Protos.ToProto(value) };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, NatIdentityMapping>> FromDump(DumpReply dump)
    {
        foreach (var p in dump.Nat44IdentityMappings)
        {
            if (Nat44Protos.FromProto(p) is { } m)
            {
                yield return KeyValuePair.Create(m.Key, m);
            }
        }
    }
}
