using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>VRF tables keyed <c>vpp/vrf-table/{id}</c>. Table 0 always exists and is never deleted.</summary>
internal sealed class VppVrfDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<VrfTable>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-vrf-table";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.VrfPrefix;

    /// <inheritdoc/>
    public override bool Equivalent(string key, VrfTable desired, VrfTable applied) => desired.Id == applied.Id;

    /// <inheritdoc/>
    public override void Delete(string key, VrfTable value)
    {
        if (value.Id != 0)
        {
            base.Delete(key, value);
        }
    }

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, VrfTable value) => new() { Action = action, Vrf = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, VrfTable>> FromDump(DumpReply dump)
        => dump.Vrfs.Select(v => KeyValuePair.Create(VppKeys.Vrf(v.Id), v));
}
