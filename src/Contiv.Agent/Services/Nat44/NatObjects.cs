namespace Contiv.Agent.Services.Nat44;

/// <summary>A desired NAT44 object of the data plane, with its scheduler key.</summary>
public interface INatObject
{
    /// <summary>Stable scheduler key (<see cref="Nat44Keys"/>).</summary>
    string Key { get; }
}

/// <summary>Protocol of a port-based NAT44 mapping.</summary>
public enum NatProtocol
{
    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,
}

/// <summary>How the source of a DNATed connection is rewritten (SPEC §3.2 <c>twice_nat</c>).</summary>
public enum TwiceNatMode
{
    /// <summary>Source kept.</summary>
    Disabled,

    /// <summary>
    /// Source always rewritten to the twice-NAT pool address (the NAT loopback), so replies of a backend on
    /// another node come back through this node (NodePort and external IPs of ClusterWide services).
    /// </summary>
    Enabled,

    /// <summary>
    /// Source rewritten only when the client is the chosen backend itself (hairpin: a pod calling its own
    /// service), which otherwise would answer itself directly with its own address.
    /// </summary>
    Self,
}

/// <summary>One backend of a static mapping.</summary>
/// <param name="Ip">Backend address.</param>
/// <param name="Port">Backend port.</param>
/// <param name="VrfId">VRF in which the backend address is routed (0 for host-stack backends on this node, else the pod VRF).</param>
/// <param name="Probability">
/// Relative weight of this backend among the mapping's locals (serviceLocalEndpointWeight for local ones,
/// 1 for remote ones); 0 when it is the only local (a plain, non-load-balanced mapping).
/// </param>
public sealed record NatLocal(string Ip, int Port, uint VrfId, uint Probability)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Ip}:{Port} vrf {VrfId} probability {Probability}";
}

/// <summary>
/// A DNAT static mapping (VPP's <c>nat44 add [load-balancing] static mapping</c>): connections to the
/// external address:port are translated to one of the locals, chosen by weight (or by client IP while an
/// affinity entry lives). Zero locals: the service port has no ready backend and the data plane refuses
/// connections at once (TCP RST, ICMP port unreachable) instead of letting them time out.
/// </summary>
public sealed record NatStaticMapping : INatObject
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

/// <summary>
/// An identity mapping: traffic to/from this address (and port) is never translated. Address-only when
/// <see cref="Protocol"/> is null and <see cref="Port"/> 0.
/// </summary>
public sealed record NatIdentityMapping : INatObject
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

/// <summary>NAT44 features of one interface (VPP's <c>set interface nat44 in|out … [output-feature]</c>).</summary>
/// <param name="Name">Data plane interface name.</param>
/// <param name="Inside">NAT inside (backends' side: in2out un-DNAT of replies).</param>
/// <param name="Outside">NAT outside (clients' side: out2in DNAT to services).</param>
/// <param name="OutputFeature">Post-routing SNAT of traffic leaving through it (the default interface).</param>
public sealed record NatInterfaceFeature(string Name, bool Inside, bool Outside, bool OutputFeature) : INatObject
{
    /// <inheritdoc/>
    public string Key => Nat44Keys.Interface(Name);
}

/// <summary>An address of the NAT pool.</summary>
/// <param name="Ip">Address.</param>
/// <param name="VrfId">VRF; <see cref="AnyVrf"/> = every VRF.</param>
/// <param name="TwiceNat">True: used for twice-NAT (source of DNATed connections); false: dynamic SNAT.</param>
public sealed record NatPoolAddress(string Ip, uint VrfId, bool TwiceNat) : INatObject
{
    /// <summary>"Any VRF" (VPP's ~0).</summary>
    public const uint AnyVrf = uint.MaxValue;

    /// <inheritdoc/>
    public string Key => Nat44Keys.Address(Ip);
}

/// <summary>Global NAT44 settings.</summary>
/// <param name="Forwarding">Traffic that matches no mapping and no session passes untranslated (needed: most traffic is not service traffic).</param>
/// <param name="DropFragments">Drop IP fragments instead of virtually reassembling them.</param>
public sealed record NatGlobal(bool Forwarding, bool DropFragments) : INatObject
{
    /// <inheritdoc/>
    public string Key => Nat44Keys.Global;
}
