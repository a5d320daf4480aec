namespace Contiv.Agent.Services.Nat44;

/// <summary>
/// An identity mapping: traffic to/from this address (and port) is never translated. Address-only when
/// <see cref="Protocol"/> is null and <see cref="Port"/> 0.
/// </summary>
internal sealed record NatIdentityMapping : INatObject
{
    /// <summary>Address.</summary>
    public required string Ip { get; init; }

    /// <summary>Protocol; null = any (address-only).</summary>
    public NatProtocol? Protocol { get; init; }

    /// <summary>Port; 0 = any.</summary>
    public int Port { get; init; }

    /// <summary>VRF of the address.</summary>
    public uint VrfId { get; init; }

    /// <summary>Why it exists (e.g. <c>DNAT-identities</c>).</summary>
    public string Label { get; init; } = string.Empty;

    /// <inheritdoc/>
    public string Key => Nat44Keys.IdentityMapping(VrfId, Protocol, Ip, Port);
}
