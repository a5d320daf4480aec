using System.Buffers.Binary;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Nat;

/// <summary>
/// Rewrites addresses and ports of an IPv4 packet in place with RFC 1624 incremental checksum
/// updates (IP header, TCP/UDP including the pseudo-header, ICMP echo id), and the ICMP error case
/// where the quoted packet is rewritten too.
/// </summary>
internal static class NatRewrite
{
    /// <summary>
    /// Sets source and destination (address, port or ICMP echo id) of the packet at <paramref name="ip"/>.
    /// <paramref name="l4ChecksumPartial"/>: the TCP/UDP checksum field holds only the folded
    /// pseudo-header sum (virtio NEEDS_CSUM, GSO): addresses adjust it, ports do not. An L4 checksum
    /// field beyond the span (a truncated quote inside an ICMP error) is left alone.
    /// </summary>
    public static void Rewrite(Span<byte> ip, NatProtocol protocol, uint src, ushort srcPort, uint dst, ushort dstPort, bool l4ChecksumPartial)
    {
        var ihl = (ip[0] & 15) << 2;
        var oldSrc = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        var oldDst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        var ipSum = BinaryPrimitives.ReadUInt16BigEndian(ip[10..]);
        ipSum = Adjust(Adjust(ipSum, oldSrc, src), oldDst, dst);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], ipSum);
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);

        var l4 = ip[ihl..];
        switch (protocol)
        {
            case NatProtocol.Tcp:
            case NatProtocol.Udp:
            {
                var oldSp = BinaryPrimitives.ReadUInt16BigEndian(l4);
                var oldDp = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                BinaryPrimitives.WriteUInt16BigEndian(l4, srcPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], dstPort);
                var at = protocol == NatProtocol.Tcp ? 16 : 6;
                if (l4.Length < at + 2)
                {
                    return;
                }

                var sum = BinaryPrimitives.ReadUInt16BigEndian(l4[at..]);
                if (l4ChecksumPartial)
                {
                    sum = AdjustPartial(AdjustPartial(sum, oldSrc, src), oldDst, dst);
                }
                else
                {
                    // UDP checksum 0 means "none" (RFC 768): keep it absent.
                    if (protocol == NatProtocol.Udp && sum == 0)
                    {
                        return;
                    }

                    sum = Adjust(Adjust(sum, oldSrc, src), oldDst, dst);
                    sum = Checksum.Update(Checksum.Update(sum, oldSp, srcPort), oldDp, dstPort);
                    if (protocol == NatProtocol.Udp && sum == 0)
                    {
                        sum = 0xffff;
                    }
                }

                BinaryPrimitives.WriteUInt16BigEndian(l4[at..], sum);
                return;
            }

            case NatProtocol.Icmp:
            {
                // Echo: the identifier plays both ports; the ICMP checksum has no pseudo-header.
                var oldId = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                if (oldId != srcPort)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(l4[4..], srcPort);
                    if (l4.Length >= 4)
                    {
                        var sum = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                        BinaryPrimitives.WriteUInt16BigEndian(l4[2..], Checksum.Update(sum, oldId, srcPort));
                    }
                }

                return;
            }

            default:
                return;
        }
    }

    /// <summary>
    /// Translates an ICMP error: the outer source/destination become <paramref name="outerSrc"/>/<paramref name="outerDst"/>,
    /// the quoted packet's become the inner values, and the ICMP checksum is recomputed over the
    /// message (errors are short and rare; every quoted byte that changed counts).
    /// </summary>
    public static void RewriteIcmpError(Span<byte> ip, in NatHeaders h, uint outerSrc, uint outerDst,
        uint innerSrc, ushort innerSrcPort, uint innerDst, ushort innerDstPort)
    {
        var inner = ip[h.Inner..h.Length];
        Rewrite(inner, h.Protocol, innerSrc, innerSrcPort, innerDst, innerDstPort, l4ChecksumPartial: false);
        Rewrite(ip, NatProtocol.None, outerSrc, 0, outerDst, 0, l4ChecksumPartial: false);
        var icmp = ip[h.L4..h.Length];
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
    }

    private static ushort Adjust(ushort sum, uint old, uint @new)
        => old == @new ? sum : Checksum.Update(Checksum.Update(sum, (ushort)(old >> 16), (ushort)(@new >> 16)), (ushort)old, (ushort)@new);

    // The field of a partial checksum is a plain (not inverted) folded sum: subtract old, add new.
    private static ushort AdjustPartial(ushort sum, uint old, uint @new)
        => old == @new ? sum : Checksum.Fold((ulong)sum + (ushort)~(ushort)(old >> 16) + (ushort)~(ushort)old + (@new >> 16) + (@new & 0xffff));
}
