namespace Contiv.Agent.Services.Nat44;

/// <summary>An address of the NAT pool.</summary>
/// <param name="Ip">Address.</param>
/// <param name="VrfId">VRF; <see cref="AnyVrf"/> = every VRF.</param>
/// <param name="TwiceNat">True: used for twice-NAT (source of DNATed connections); false: dynamic SNAT.</param>
internal sealed record NatPoolAddress(string Ip, uint VrfId, bool TwiceNat) : INatObject
{
    /// <summary>"Any VRF" (VPP's ~0).</summary>
    public const uint AnyVrf = uint.MaxValue;

    /// <inheritdoc/>
    public string Key => Nat44Keys.Address(Ip);
}
