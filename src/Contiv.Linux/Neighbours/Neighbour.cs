using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Contiv.Linux;

/// <summary>An ARP (IPv4) or NDP (IPv6) neighbour entry.</summary>
public sealed record Neighbour
{
    /// <summary>Index of the interface the entry belongs to.</summary>
    public required int InterfaceIndex { get; init; }

    /// <summary>The neighbour's IP address.</summary>
    public required IPAddress Address { get; init; }

    /// <summary>The neighbour's MAC address (null for incomplete/failed entries).</summary>
    public PhysicalAddress? MacAddress { get; init; }

    /// <summary>Entry state; static entries are <see cref="NeighbourState.Permanent"/>.</summary>
    public NeighbourState State { get; init; } = NeighbourState.Permanent;

    /// <summary>Address family of <see cref="Address"/>.</summary>
    public AddressFamily Family => Address.AddressFamily;

    /// <inheritdoc />
    public override string ToString() => Describe(null);

    internal string Describe(string? linkName)
        => $"{Address}{(MacAddress is null ? string.Empty : " lladdr " + LinkAddress.Format(MacAddress))} dev {linkName ?? "#" + InterfaceIndex}";
}

/// <summary>Neighbour entry states (NUD_*).</summary>
[Flags]
public enum NeighbourState : ushort
{
    /// <summary>No state.</summary>
    None = 0,

    /// <summary>Resolution in progress.</summary>
    Incomplete = 0x01,

    /// <summary>Confirmed reachable.</summary>
    Reachable = 0x02,

    /// <summary>Stale, usable until confirmed.</summary>
    Stale = 0x04,

    /// <summary>Waiting before probing.</summary>
    Delay = 0x08,

    /// <summary>Probing.</summary>
    Probe = 0x10,

    /// <summary>Resolution failed.</summary>
    Failed = 0x20,

    /// <summary>No ARP needed (e.g. point-to-point).</summary>
    NoArp = 0x40,

    /// <summary>Static entry that never expires.</summary>
    Permanent = 0x80,
}
