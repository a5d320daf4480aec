using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>Bridge domains keyed <c>vpp/bd/{name}</c>; a BD depends on its member interfaces.</summary>
internal sealed class VppBridgeDomainDescriptor(IDataplaneConfigApi dataplane) : VppDescriptor<BridgeDomain>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-bridge-domain";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.BridgeDomainPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, BridgeDomain value) => value.Interfaces.Select(m => VppKeys.Interface(m.Name));

    /// <inheritdoc/>
    public override bool Equivalent(string key, BridgeDomain desired, BridgeDomain applied)
    {
        var d = desired;
        var a = applied;
        return d.Id == a.Id && d.Flood == a.Flood && d.UnknownUnicastFlood == a.UnknownUnicastFlood && d.Forward == a.Forward && d.Learn == a.Learn
            && d.Interfaces.OrderBy(m => m.Name, StringComparer.Ordinal).SequenceEqual(a.Interfaces.OrderBy(m => m.Name, StringComparer.Ordinal));
    }

    /// <inheritdoc/>
    public override bool RequiresRecreate(string key, BridgeDomain oldValue, BridgeDomain newValue) => oldValue.Id != newValue.Id;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, BridgeDomain value) => new() { Action = action, BridgeDomain = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, BridgeDomain>> FromDump(DumpReply dump)
        => dump.BridgeDomains.Where(b => b.Name.Length > 0).Select(b => KeyValuePair.Create(VppKeys.BridgeDomain(b.Name), b));
}
