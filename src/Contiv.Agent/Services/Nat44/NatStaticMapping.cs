namespace Contiv.Agent.Services.Nat44;

/// <summary>
/// A DNAT static mapping (VPP's <c>nat44 add [load-balancing] static mapping</c>): connections to the
/// external address:port are translated to one of the locals, chosen by weight (or by client IP while an
/// affinity entry lives). Zero locals: the service port has no ready backend and the data plane refuses
/// connections at once (TCP RST, ICMP port unreachable) instead of letting them time out.
/// </summary>
internal sealed record NatStaticMapping : INatObject
{
    /// <summary>External (service) address.</summary>
    public required string ExternalIp { get; init; }

    /// <summary>External (service) port.</summary>
    public required int ExternalPort { get; init; }

    /// <summary>Protocol.</summary>
    public required NatProtocol Protocol { get; init; }

    /// <summary>Backends (ordered by address and port).</summary>
    public ValueArray<NatLocal> Locals { get; init; }

    /// <summary>Source rewriting.</summary>
    public TwiceNatMode TwiceNat { get; init; }

    /// <summary>Twice-NAT source address (the NAT loopback); empty = the twice-NAT address pool.</summary>
    public string TwiceNatPoolIp { get; init; } = string.Empty;

    /// <summary>ClientIP affinity timeout in seconds; 0 = none.</summary>
    public uint SessionAffinity { get; init; }

    /// <summary>DNAT only for packets to the external address; never SNAT the locals' own connections (always true for services).</summary>
    public bool OutToInOnly { get; init; } = true;

    /// <summary>Owner label <c>{namespace}/{name}</c> (VPP's tag), shown by <c>show nat44 static mappings</c>.</summary>
    public string Label { get; init; } = string.Empty;

    /// <inheritdoc/>
    public string Key => Nat44Keys.StaticMapping(Protocol, ExternalIp, ExternalPort);
}
