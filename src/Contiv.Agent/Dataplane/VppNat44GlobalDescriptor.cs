using Contiv.Agent.Services.Nat44;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// NAT44 global settings, the single key <c>vpp/nat44/global</c>. Every other NAT44 object but interface features
/// depends on it (VPP: the plugin is configured before its mappings). Deleting it restores the data plane's defaults,
/// which the dump reports as "no global settings".
/// </summary>
internal sealed class VppNat44GlobalDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<NatGlobal>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-nat44-global";

    /// <inheritdoc/>
    public override string KeyPrefix => Nat44Keys.Global;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, NatGlobal value) => new() { Action = action, Nat44Global = Nat44Protos.ToProto(value) };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, NatGlobal>> FromDump(DumpReply dump)
    {
        // Defaults (nothing forwarded, fragments reassembled, default timeouts) are what an unconfigured data plane has.
        if (dump.Nat44Global is { } g && (g.Forwarding || g.DropFragments))
        {
            yield return KeyValuePair.Create(Nat44Keys.Global, new NatGlobal(g.Forwarding, g.DropFragments));
        }
    }
}
