using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Acl;

/// <summary>
/// A reflective session's key: the interface and the flow's 5-tuple with its two endpoints in a fixed
/// order (the lower address:port first), so a packet and its reply produce the same key and one lookup
/// serves both directions. ICMP echo uses the identifier as both ports.
/// </summary>
internal readonly struct AclSessionKey : IEquatable<AclSessionKey>
{
    /// <summary>Interface the session belongs to.</summary>
    public readonly int SwIfIndex;
    /// <summary>Lower endpoint address.</summary>
    public readonly uint LoAddress;
    /// <summary>Higher endpoint address.</summary>
    public readonly uint HiAddress;
    /// <summary>Port of the lower endpoint.</summary>
    public readonly ushort LoPort;
    /// <summary>Port of the higher endpoint.</summary>
    public readonly ushort HiPort;
    /// <summary>IP protocol.</summary>
    public readonly byte Protocol;

    private AclSessionKey(int swIfIndex, byte protocol, uint loAddress, ushort loPort, uint hiAddress, ushort hiPort)
    {
        SwIfIndex = swIfIndex;
        Protocol = protocol;
        LoAddress = loAddress;
        LoPort = loPort;
        HiAddress = hiAddress;
        HiPort = hiPort;
    }

    /// <summary>The key of a packet from src:srcPort to dst:dstPort; <paramref name="fromLo"/> tells which endpoint sent it.</summary>
    public static AclSessionKey Of(int swIfIndex, byte protocol, uint src, ushort srcPort, uint dst, ushort dstPort, out bool fromLo)
    {
        fromLo = src < dst || (src == dst && srcPort <= dstPort);
        return fromLo
            ? new AclSessionKey(swIfIndex, protocol, src, srcPort, dst, dstPort)
            : new AclSessionKey(swIfIndex, protocol, dst, dstPort, src, srcPort);
    }

    /// <inheritdoc />
    public bool Equals(AclSessionKey other)
        => LoAddress == other.LoAddress && HiAddress == other.HiAddress && LoPort == other.LoPort && HiPort == other.HiPort
           && Protocol == other.Protocol && SwIfIndex == other.SwIfIndex;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is AclSessionKey k && Equals(k);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var a = ((ulong)LoAddress << 32) | HiAddress;
        var b = ((ulong)LoPort << 48) | ((ulong)HiPort << 32) | ((ulong)Protocol << 24) ^ (uint)SwIfIndex;
        return FlowHash.Mix(a, b);
    }
}
