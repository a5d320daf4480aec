using Contiv.Vpp.Ip4;
using Contiv.Vpp.Sessions;

namespace Contiv.Vpp.Nat;

/// <summary>
/// One direction of a flow as a hash key: the 5-tuple as the packet carries it when it reaches
/// the NAT node, plus the VRF (FIB index) it arrived in. Addresses are host order. For ICMP echo
/// both ports hold the identifier, so a request and its reply produce mirrored keys like TCP/UDP.
/// </summary>
internal readonly struct NatFlowKey : IEquatable<NatFlowKey>
{
    /// <summary>Source address.</summary>
    public readonly uint Src;
    /// <summary>Destination address.</summary>
    public readonly uint Dst;
    /// <summary>VRF (FIB index) the key is valid in.</summary>
    public readonly uint Fib;
    /// <summary>Source port (ICMP: echo identifier).</summary>
    public readonly ushort SrcPort;
    /// <summary>Destination port (ICMP: echo identifier).</summary>
    public readonly ushort DstPort;
    /// <summary>Protocol.</summary>
    public readonly NatProtocol Protocol;

    /// <summary>Creates a key.</summary>
    public NatFlowKey(uint src, ushort srcPort, uint dst, ushort dstPort, NatProtocol protocol, uint fib)
    {
        Src = src;
        Dst = dst;
        SrcPort = srcPort;
        DstPort = dstPort;
        Protocol = protocol;
        Fib = fib;
    }

    /// <summary>The key of packets flowing the other way in <paramref name="fib"/>.</summary>
    public NatFlowKey Reverse(uint fib) => new(Dst, DstPort, Src, SrcPort, Protocol, fib);

    /// <inheritdoc />
    public bool Equals(NatFlowKey other)
        => Src == other.Src && Dst == other.Dst && SrcPort == other.SrcPort && DstPort == other.DstPort
           && Protocol == other.Protocol && Fib == other.Fib;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NatFlowKey k && Equals(k);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var a = ((ulong)Src << 32) | Dst;
        var b = ((ulong)SrcPort << 48) | ((ulong)DstPort << 32) | ((ulong)(byte)Protocol << 24) ^ Fib;
        return FlowHash.Mix(a, b);
    }

    /// <inheritdoc />
    public override string ToString()
        => $"{Ip4Address.Format(Src)}:{SrcPort} -> {Ip4Address.Format(Dst)}:{DstPort} {NatProtocolNames.Format(Protocol)} fib {Fib}";
}
