namespace Contiv.Vpp.Acl;

/// <summary>
/// Key of one tuple-space table: the packet's addresses under the table's prefix masks, and the
/// protocol and destination port when the table keys on them (0 otherwise).
/// </summary>
internal readonly struct AclTupleKey : IEquatable<AclTupleKey>
{
    private readonly ulong _addresses;
    private readonly uint _protocolPort;

    /// <summary>Creates a key.</summary>
    public AclTupleKey(uint src, uint dst, byte protocol, ushort dstPort)
    {
        _addresses = ((ulong)src << 32) | dst;
        _protocolPort = ((uint)protocol << 16) | dstPort;
    }

    /// <inheritdoc />
    public bool Equals(AclTupleKey other) => _addresses == other._addresses && _protocolPort == other._protocolPort;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is AclTupleKey k && Equals(k);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        // Multiply-xorshift: rules differing only in the low bits of an address spread over all buckets.
        var h = (_addresses * 0x9E3779B97F4A7C15UL) ^ ((_protocolPort + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL);
        h ^= h >> 31;
        return (int)(h ^ (h >> 32));
    }
}
