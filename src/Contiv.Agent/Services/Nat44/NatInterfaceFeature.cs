namespace Contiv.Agent.Services.Nat44;

/// <summary>NAT44 features of one interface (VPP's <c>set interface nat44 in|out … [output-feature]</c>).</summary>
/// <param name="Name">Data plane interface name.</param>
/// <param name="Inside">NAT inside (backends' side: in2out un-DNAT of replies).</param>
/// <param name="Outside">NAT outside (clients' side: out2in DNAT to services).</param>
/// <param name="OutputFeature">Post-routing SNAT of traffic leaving through it (the default interface).</param>
internal sealed record NatInterfaceFeature(string Name, bool Inside, bool Outside, bool OutputFeature) : INatObject
{
    /// <inheritdoc/>
    public string Key => Nat44Keys.Interface(Name);
}
