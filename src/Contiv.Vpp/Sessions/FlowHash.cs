namespace Contiv.Vpp.Sessions;

/// <summary>The hash of flow keys: a flow packed into two 64-bit words, mixed by multiply-xorshift.</summary>
internal static class FlowHash
{
    /// <summary>
    /// Mixes <paramref name="addresses"/> (both addresses) and <paramref name="rest"/> (ports, protocol, context).
    /// Cheap, and flows that differ only in the source port (the common case behind one client) spread over all
    /// buckets.
    /// </summary>
    public static int Mix(ulong addresses, ulong rest)
    {
        var h = (addresses * 0x9E3779B97F4A7C15UL) ^ ((rest + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL);
        h ^= h >> 31;
        return (int)(h ^ (h >> 32));
    }
}
