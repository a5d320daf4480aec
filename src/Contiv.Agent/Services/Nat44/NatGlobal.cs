namespace Contiv.Agent.Services.Nat44;

/// <summary>Global NAT44 settings.</summary>
/// <param name="Forwarding">Traffic that matches no mapping and no session passes untranslated (needed: most traffic is not service traffic).</param>
/// <param name="DropFragments">Drop IP fragments instead of virtually reassembling them.</param>
internal sealed record NatGlobal(bool Forwarding, bool DropFragments) : INatObject
{
    /// <inheritdoc/>
    public string Key => Nat44Keys.Global;
}
