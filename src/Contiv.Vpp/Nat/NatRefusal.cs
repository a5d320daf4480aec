using System.Buffers.Binary;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Nat;

/// <summary>
/// The immediate "connection refused" of a Service port without ready endpoints (kube-proxy's
/// REJECT): a TCP RST for TCP, ICMP port unreachable for UDP, sourced from the address the client
/// targeted. Written into a caller-provided buffer; the caller routes and sends it.
/// </summary>
internal static class NatRefusal
{
    /// <summary>Bytes of the offending packet quoted in ICMP errors beyond the 28-byte headers (RFC 1812's 576-byte limit).</summary>
    public const int MaxQuote = 548;

    /// <summary>Space the reply buffer of <see cref="Build"/> needs for any refusal.</summary>
    public const int MaxLength = 28 + MaxQuote;

    /// <summary>
    /// Writes the refusal of <paramref name="packet"/> (an IPv4 packet) into <paramref name="reply"/> and
    /// returns its length, or 0 when none is due (a RST is never answered, nor anything but TCP/UDP).
    /// </summary>
    public static int Build(ReadOnlySpan<byte> packet, Span<byte> reply)
    {
        if (NatHeaders.Parse(packet, out var h) != NatParse.Ok || h.IsIcmpError)
        {
            return 0;
        }

        if (h.Protocol == NatProtocol.Tcp)
        {
            return (h.TcpFlags & NatHeaders.Rst) != 0 ? 0 : BuildRst(packet, h, reply);
        }

        return h.Protocol == NatProtocol.Udp ? BuildPortUnreachable(packet, h, reply) : 0;
    }

    private static int BuildRst(ReadOnlySpan<byte> packet, in NatHeaders h, Span<byte> reply)
    {
        const int len = 40;
        if (reply.Length < len)
        {
            throw new ArgumentException($"refusal buffer of {reply.Length} bytes is shorter than a TCP RST ({len})", nameof(reply));
        }

        var tcp = packet[h.L4..h.Length];
        var seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        var ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        var payload = h.Length - h.L4 - ((tcp[12] >> 4) << 2);

        var r = reply[..len];
        r.Clear();
        WriteIp(r, h.Dst, h.Src, 6);
        var t = r[20..];
        BinaryPrimitives.WriteUInt16BigEndian(t, h.DstPort);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], h.SrcPort);
        t[12] = 5 << 4;

        // RFC 793 reset generation: acknowledge what arrived unless it carried an ACK, whose number we take as ours.
        if ((h.TcpFlags & NatHeaders.Ack) != 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(t[4..], ack);
            t[13] = NatHeaders.Rst;
        }
        else
        {
            var consumed = (uint)Math.Max(payload, 0) + ((h.TcpFlags & NatHeaders.Syn) != 0 ? 1u : 0) + ((h.TcpFlags & NatHeaders.Fin) != 0 ? 1u : 0);
            BinaryPrimitives.WriteUInt32BigEndian(t[8..], seq + consumed);
            t[13] = NatHeaders.Rst | NatHeaders.Ack;
        }

        BinaryPrimitives.WriteUInt16BigEndian(t[16..], Checksum.Compute(t, Checksum.PseudoHeader(h.Dst, h.Src, 6, 20)));
        return len;
    }

    private static int BuildPortUnreachable(ReadOnlySpan<byte> packet, in NatHeaders h, Span<byte> reply)
    {
        var quote = Math.Min(h.Length, MaxQuote);
        var len = 28 + quote;
        if (reply.Length < len)
        {
            throw new ArgumentException($"refusal buffer of {reply.Length} bytes is shorter than the ICMP error ({len})", nameof(reply));
        }

        var r = reply[..len];
        r[..28].Clear();
        WriteIp(r, h.Dst, h.Src, 1);
        var icmp = r[20..];
        icmp[0] = 3;
        icmp[1] = 3;
        packet[..quote].CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
        return len;
    }

    private static void WriteIp(Span<byte> r, uint src, uint dst, byte protocol)
    {
        r[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(r[2..], (ushort)r.Length);
        r[6] = 0x40;
        r[8] = 64;
        r[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(r[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(r[16..], dst);
        BinaryPrimitives.WriteUInt16BigEndian(r[10..], Checksum.Compute(r[..20]));
    }
}
