using System.Net.NetworkInformation;

namespace Contiv.Linux;

/// <summary>A network interface as the kernel reports it (one RTM_NEWLINK message).</summary>
public sealed record Link
{
    /// <summary>Interface index (unique within its namespace).</summary>
    public required int Index { get; init; }

    /// <summary>Interface name, e.g. <c>eth0</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Interface flags (IFF_*).</summary>
    public LinkFlags Flags { get; init; }

    /// <summary>Operational state (RFC 2863, IFLA_OPERSTATE).</summary>
    public OperState OperState { get; init; }

    /// <summary>MTU in bytes.</summary>
    public int Mtu { get; init; }

    /// <summary>Hardware (MAC) address; null for links without one.</summary>
    public PhysicalAddress? MacAddress { get; init; }

    /// <summary>Index of the master (bridge) this link is enslaved to, or null.</summary>
    public int? MasterIndex { get; init; }

    /// <summary>Index of the lower/peer link (IFLA_LINK; for a veth the peer's index, maybe in another namespace), or null.</summary>
    public int? ParentIndex { get; init; }

    /// <summary>Netns id (as seen from this namespace) of the namespace holding the parent/peer, or null when it is the same one.</summary>
    public int? LinkNetnsId { get; init; }

    /// <summary>Link kind from IFLA_INFO_KIND (<c>veth</c>, <c>bridge</c>, <c>tun</c> …), or null for physical/loopback links.</summary>
    public string? Kind { get; init; }

    /// <summary>ARPHRD_* device type (1 = Ethernet, 772 = loopback, 65534 = none/TUN).</summary>
    public int DeviceType { get; init; }

    /// <summary>Transmit queue length.</summary>
    public int TxQueueLength { get; init; }

    /// <summary>Packet and byte counters (IFLA_STATS64), when reported.</summary>
    public LinkStatistics? Statistics { get; init; }

    /// <summary>Administratively up (IFF_UP).</summary>
    public bool IsUp => (Flags & LinkFlags.Up) != 0;

    /// <summary>Carrier present (IFF_LOWER_UP).</summary>
    public bool HasCarrier => (Flags & LinkFlags.LowerUp) != 0;

    /// <inheritdoc />
    public override string ToString() => $"{Index}: {Name} <{Flags}> mtu {Mtu} state {OperState}{(Kind is null ? string.Empty : " kind " + Kind)}";
}

/// <summary>Interface flags (IFF_* from linux/if.h).</summary>
[Flags]
public enum LinkFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>Administratively up.</summary>
    Up = 0x1,

    /// <summary>Broadcast address valid.</summary>
    Broadcast = 0x2,

    /// <summary>Loopback interface.</summary>
    Loopback = 0x8,

    /// <summary>Point-to-point link.</summary>
    PointToPoint = 0x10,

    /// <summary>Resources allocated (running).</summary>
    Running = 0x40,

    /// <summary>No ARP.</summary>
    NoArp = 0x80,

    /// <summary>Promiscuous mode.</summary>
    Promiscuous = 0x100,

    /// <summary>Is a bonding master/slave or bridge port.</summary>
    Slave = 0x800,

    /// <summary>Supports multicast.</summary>
    Multicast = 0x1000,

    /// <summary>Carrier is up (driver signals L1 up).</summary>
    LowerUp = 0x10000,

    /// <summary>Dormant.</summary>
    Dormant = 0x20000,
}

/// <summary>Operational state (IF_OPER_*).</summary>
public enum OperState
{
    /// <summary>Unknown (e.g. loopback, TAP without carrier notion).</summary>
    Unknown = 0,

    /// <summary>Not present.</summary>
    NotPresent = 1,

    /// <summary>Down.</summary>
    Down = 2,

    /// <summary>Down because a lower layer is down (e.g. veth peer down).</summary>
    LowerLayerDown = 3,

    /// <summary>Testing.</summary>
    Testing = 4,

    /// <summary>Dormant.</summary>
    Dormant = 5,

    /// <summary>Up.</summary>
    Up = 6,
}

/// <summary>Interface counters from <c>struct rtnl_link_stats64</c>.</summary>
/// <param name="RxPackets">Packets received.</param>
/// <param name="TxPackets">Packets transmitted.</param>
/// <param name="RxBytes">Bytes received.</param>
/// <param name="TxBytes">Bytes transmitted.</param>
/// <param name="RxErrors">Receive errors.</param>
/// <param name="TxErrors">Transmit errors.</param>
/// <param name="RxDropped">Received packets dropped.</param>
/// <param name="TxDropped">Transmit packets dropped.</param>
/// <param name="Multicast">Multicast packets received.</param>
public sealed record LinkStatistics(
    ulong RxPackets, ulong TxPackets, ulong RxBytes, ulong TxBytes,
    ulong RxErrors, ulong TxErrors, ulong RxDropped, ulong TxDropped, ulong Multicast);
