using Contiv.Agent.Addressing;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>Static ARP entries keyed <c>vpp/arp/{interface}/{ip}</c> (dynamic entries are ignored).</summary>
internal sealed class VppArpDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<ArpEntry>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-arp";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.ArpPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, ArpEntry value) => [VppKeys.Interface(value.Interface)];

    /// <inheritdoc/>
    public override bool Equivalent(string key, ArpEntry desired, ArpEntry applied)
        => MacAddresses.Normalize(desired.PhysAddress) == MacAddresses.Normalize(applied.PhysAddress)
           && desired.Static == applied.Static;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, ArpEntry value) => new() { Action = action, Arp = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, ArpEntry>> FromDump(DumpReply dump)
        => dump.Arps.Where(a => a.Static).Select(a => KeyValuePair.Create(VppKeys.Arp(a.Interface, a.IpAddress), a));
}
