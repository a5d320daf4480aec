namespace Contiv.Vpp.Ip4;

/// <summary>What a FIB entry forwards to (VPP's data-path object).</summary>
public enum DpoKind : byte
{
    /// <summary>Drop (blackhole, default route, special prefixes).</summary>
    Drop,
    /// <summary>Deliver to this node (one of our addresses): ip4-local.</summary>
    Receive,
    /// <summary>Forward through an adjacency (interface + next hop, MAC rewrite).</summary>
    Adjacency,
    /// <summary>Attached subnet: resolve the destination itself with ARP on an interface.</summary>
    Glean,
    /// <summary>Look the destination up again in another table (inter-VRF).</summary>
    LookupInTable,
    /// <summary>Recursive route: look the next hop up in the same table.</summary>
    Recursive,
}

/// <summary>Immutable forwarding decision of a FIB entry. Replaced wholesale when the entry changes.</summary>
public sealed class Dpo
{
    /// <summary>The shared drop DPO used by default entries.</summary>
    public static readonly Dpo DropMiss = new() { Kind = DpoKind.Drop, DropReason = DropReason.LookupMiss };

    /// <summary>Kind of forwarding.</summary>
    public DpoKind Kind { get; init; }

    /// <summary>Receive/glean interface.</summary>
    public int SwIfIndex { get; init; } = -1;

    /// <summary>Adjacency index (Adjacency kind).</summary>
    public int AdjIndex { get; init; } = -1;

    /// <summary>FIB index to look up in (LookupInTable).</summary>
    public int TableIndex { get; init; } = -1;

    /// <summary>Next hop of a recursive route, or the receive address.</summary>
    public uint Address { get; init; }

    /// <summary>Why packets are dropped (Drop kind).</summary>
    public DropReason DropReason { get; init; }

    /// <summary>Equal-cost alternatives (null = single path). Chosen by flow hash.</summary>
    public Dpo[]? Paths { get; init; }
}

/// <summary>Why a drop DPO drops.</summary>
public enum DropReason : byte
{
    /// <summary>No route (the table's default entry).</summary>
    LookupMiss,
    /// <summary>A configured drop route (blackhole).</summary>
    DropRoute,
    /// <summary>Special prefix (network, broadcast, multicast, class E).</summary>
    Special,
}
