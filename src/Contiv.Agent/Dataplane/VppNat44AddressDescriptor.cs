using Contiv.Agent.Services.Nat44;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>Addresses of the NAT44 pool (dynamic SNAT and twice-NAT), keyed <c>vpp/nat44/address/{ip}</c>.</summary>
internal sealed class VppNat44AddressDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<NatPoolAddress>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-nat44-address";

    /// <inheritdoc/>
    public override string KeyPrefix => Nat44Keys.AddressPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, NatPoolAddress value)
    {
        yield return Nat44Keys.Global;
        if (value.VrfId != NatPoolAddress.AnyVrf)
        {
            yield return VppKeys.Vrf(value.VrfId);
        }
    }

    /// <inheritdoc/>
    public override bool RequiresRecreate(string key, NatPoolAddress oldValue, NatPoolAddress newValue)
        => oldValue.VrfId != newValue.VrfId || oldValue.TwiceNat != newValue.TwiceNat; // a pool entry is added or removed, never edited

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, NatPoolAddress value) => new() { Action = action, Nat44Address = Nat44Protos.ToProto(value) };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, NatPoolAddress>> FromDump(DumpReply dump)
        => dump.Nat44Addresses.Select(a => KeyValuePair.Create(Nat44Keys.Address(a.IpAddress), new NatPoolAddress(a.IpAddress, a.VrfId, a.TwiceNat)));
}
