namespace Contiv.Vpp.Nat;

// The public NAT44 control surface of Dataplane (Dataplane.Nat.cs) speaks these small values, so the
// engine's own classes (Nat44, its tables, sessions) stay internal to the data plane.

/// <summary>One address of the NAT44 pool (<c>nat44 add address</c>).</summary>
/// <param name="Address">The IPv4 address, host byte order.</param>
/// <param name="TenantVrf">VRF whose sessions may use it; <see cref="uint.MaxValue"/> = any.</param>
/// <param name="TwiceNat">True for the twice-NAT pool.</param>
public readonly record struct NatPoolAddress(uint Address, uint TenantVrf, bool TwiceNat);

/// <summary>Twice-NAT mode of a static mapping (VPP's twice-nat / self-twice-nat flags).</summary>
public enum NatTwiceNatMode
{
    /// <summary>The client's source is never rewritten.</summary>
    Disabled = 0,
    /// <summary>Always rewrite the client's source to a twice-NAT pool address.</summary>
    Enabled = 1,
    /// <summary>Rewrite the client's source only when the client is the chosen local (hairpin).</summary>
    Self = 2,
}

/// <summary>One backend of a static or identity mapping.</summary>
/// <param name="Address">Local IPv4 address, host byte order.</param>
/// <param name="Port">Local port (0 for address-only mappings).</param>
/// <param name="Vrf">VRF (table id) of the local.</param>
/// <param name="Probability">Relative weight among the mapping's locals.</param>
public readonly record struct NatMappingLocal(uint Address, ushort Port, uint Vrf, int Probability);

/// <summary>A static mapping as configured or dumped; identity mappings dump with <see cref="Identity"/> set.</summary>
public sealed record NatStaticMappingEntry
{
    /// <summary>External address, port and protocol (the mapping's key).</summary>
    public required NatExternalKey External { get; init; }

    /// <summary>The locals, in order; more than one makes a load-balancing mapping.</summary>
    public required IReadOnlyList<NatMappingLocal> Locals { get; init; }

    /// <summary>Identity mapping (dumps only; one local per exempted VRF).</summary>
    public bool Identity { get; init; }

    /// <summary>Only outside→inside packets to the external address create sessions.</summary>
    public bool Out2InOnly { get; init; }

    /// <summary>Twice-NAT mode.</summary>
    public NatTwiceNatMode TwiceNat { get; init; }

    /// <summary>ClientIP affinity timeout in seconds, 0 = none.</summary>
    public uint AffinityTimeout { get; init; }

    /// <summary>Twice-NAT pool address to use, 0 = any twice-NAT address.</summary>
    public uint TwiceNatAddress { get; init; }

    /// <summary>Free text the control plane attached (service name), or null.</summary>
    public string? Tag { get; init; }
}

/// <summary>A NAT44 session as dumped (addresses host byte order).</summary>
public sealed record NatSessionInfo
{
    /// <summary>L4 protocol.</summary>
    public NatProtocol Protocol { get; init; }
    /// <summary>Inside (local) address.</summary>
    public uint InsideAddress { get; init; }
    /// <summary>Inside (local) port.</summary>
    public ushort InsidePort { get; init; }
    /// <summary>FIB of the inside side.</summary>
    public uint InsideFib { get; init; }
    /// <summary>Outside (translated) address.</summary>
    public uint OutsideAddress { get; init; }
    /// <summary>Outside (translated) port.</summary>
    public ushort OutsidePort { get; init; }
    /// <summary>External host address.</summary>
    public uint ExtHostAddress { get; init; }
    /// <summary>External host port.</summary>
    public ushort ExtHostPort { get; init; }
    /// <summary>True for a twice-NAT session (the external host's source was rewritten too).</summary>
    public bool TwiceNat { get; init; }
    /// <summary>Twice-NAT address of the external host (twice-NAT sessions only).</summary>
    public uint ExtHostNatAddress { get; init; }
    /// <summary>Twice-NAT port of the external host (twice-NAT sessions only).</summary>
    public ushort ExtHostNatPort { get; init; }
    /// <summary>Seconds since the session last saw a packet (never negative).</summary>
    public double IdleSeconds { get; init; }
    /// <summary>TCP session in the established state.</summary>
    public bool TcpEstablished { get; init; }
    /// <summary>Packets translated.</summary>
    public long Packets { get; init; }
    /// <summary>Bytes translated.</summary>
    public long Bytes { get; init; }
}

/// <summary>Sessions idle long enough, with the TCP/other totals of all sessions.</summary>
/// <param name="TcpSessions">TCP sessions in the table.</param>
/// <param name="OtherSessions">UDP and ICMP sessions in the table.</param>
/// <param name="Sessions">The sessions that passed the idle filter.</param>
public sealed record NatSessionSnapshot(int TcpSessions, int OtherSessions, IReadOnlyList<NatSessionInfo> Sessions);

/// <summary>
/// A session by its outside 5-tuple: protocol, outside address/port and the external host (for
/// twice-NAT sessions the external host's NAT address/port matches too).
/// </summary>
/// <param name="Protocol">L4 protocol.</param>
/// <param name="OutsideAddress">Outside (translated) address.</param>
/// <param name="OutsidePort">Outside (translated) port.</param>
/// <param name="ExtHostAddress">External host address (or its twice-NAT address).</param>
/// <param name="ExtHostPort">External host port (or its twice-NAT port).</param>
public readonly record struct NatSessionOutsideKey(NatProtocol Protocol, uint OutsideAddress, ushort OutsidePort, uint ExtHostAddress, ushort ExtHostPort);
