using Contiv.Agent.Dataplane;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Stn;

/// <summary>
/// Proxy ARP ranges with the interfaces that answer for them, keyed <c>vpp/proxy-arp/vrf/{id}/{first}-{last}</c>.
/// The data plane enables proxy ARP per interface, so the dump lists every proxy-ARP interface of the VRF with
/// each of its ranges: the agent uses one interface (tap-vpp2) for all of them.
/// </summary>
internal sealed class VppProxyArpDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<ProxyArpRange>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-proxy-arp";

    /// <inheritdoc/>
    public override string KeyPrefix => StnKeys.ProxyArpPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, ProxyArpRange value) => value.Interfaces.Select(VppKeys.Interface);

    /// <inheritdoc/>
    public override bool Equivalent(string key, ProxyArpRange desired, ProxyArpRange applied)
        => desired.Interfaces.Order(StringComparer.Ordinal).SequenceEqual(applied.Interfaces.Order(StringComparer.Ordinal));

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, ProxyArpRange value) => new() { Action = action, ProxyArp = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, ProxyArpRange>> FromDump(DumpReply dump)
        => dump.ProxyArps.Select(r => KeyValuePair.Create(StnKeys.ProxyArp(r), r));
}
