using Contiv.Agent.Services.Nat44;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>NAT44 features of an interface (inside / outside / output feature), keyed <c>vpp/nat44/interface/{name}</c>; needs the interface.</summary>
internal sealed class VppNat44InterfaceDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<NatInterfaceFeature>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-nat44-interface";

    /// <inheritdoc/>
    public override string KeyPrefix => Nat44Keys.InterfacePrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, NatInterfaceFeature value) => [VppKeys.Interface(value.Name)];

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, NatInterfaceFeature value) => new() { Action = action, Nat44Interface = Nat44Protos.ToProto(value) };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, NatInterfaceFeature>> FromDump(DumpReply dump)
        => dump.Nat44Interfaces.Where(i => i.Inside || i.Outside || i.OutputFeature)
            .Select(i => KeyValuePair.Create(Nat44Keys.Interface(i.Interface), new NatInterfaceFeature(i.Interface, i.Inside, i.Outside, i.OutputFeature)));
}
