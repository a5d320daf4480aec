namespace Contiv.Vpp.Arp;

/// <summary>
/// A neighbour adjacency: (interface, next hop) plus the Ethernet rewrite once the next hop's MAC is
/// known. <see cref="Rewrite"/> is replaced atomically (never mutated), so workers read it without locks.
/// </summary>
public sealed class Adjacency
{
    internal Adjacency(int index, int swIfIndex, uint nextHop)
    {
        Index = index;
        SwIfIndex = swIfIndex;
        NextHop = nextHop;
    }

    /// <summary>Adjacency index.</summary>
    public int Index { get; }

    /// <summary>Outgoing interface.</summary>
    public int SwIfIndex { get; }

    /// <summary>Next-hop address (host order).</summary>
    public uint NextHop { get; }

    /// <summary>14-byte Ethernet header (dst MAC, src MAC, 0x0800) or null while unresolved.</summary>
    public byte[]? Rewrite
    {
        get => Volatile.Read(ref _rewrite);
        internal set => Volatile.Write(ref _rewrite, value);
    }

    private byte[]? _rewrite;

    /// <summary>Number of FIB paths referring to this adjacency (control thread only).</summary>
    internal int Refs { get; set; }
}
