using System.Buffers.Binary;

namespace Contiv.Vpp.Nat;

/// <summary>Outcome of parsing a packet for NAT.</summary>
internal enum NatParse : byte
{
    /// <summary>A TCP, UDP or ICMP echo packet, or an ICMP error quoting one: translatable.</summary>
    Ok,
    /// <summary>Not something NAT translates (other protocol, other ICMP type): passes untouched.</summary>
    Other,
    /// <summary>Broken IPv4 or L4 header.</summary>
    Malformed,
    /// <summary>An IPv4 fragment (no virtual reassembly).</summary>
    Fragment,
}

/// <summary>
/// The fields of an IPv4 packet NAT reads, parsed once per packet. For an ICMP error the ports and
/// protocol are those of the quoted (inner) packet, whose IP header starts at <see cref="Inner"/>.
/// </summary>
internal struct NatHeaders
{
    /// <summary>Offset of the L4 header (the IHL).</summary>
    public int L4;
    /// <summary>IP total length (bytes of the packet that count; the span may be longer).</summary>
    public int Length;
    /// <summary>Source address.</summary>
    public uint Src;
    /// <summary>Destination address.</summary>
    public uint Dst;
    /// <summary>Source port or ICMP echo id.</summary>
    public ushort SrcPort;
    /// <summary>Destination port or ICMP echo id.</summary>
    public ushort DstPort;
    /// <summary>Protocol (of the inner packet for ICMP errors).</summary>
    public NatProtocol Protocol;
    /// <summary>TCP flags (0 for other protocols).</summary>
    public byte TcpFlags;
    /// <summary>True for ICMP destination unreachable, source quench, redirect, time exceeded, parameter problem.</summary>
    public bool IsIcmpError;
    /// <summary>Offset of the quoted IP header in an ICMP error.</summary>
    public int Inner;
    /// <summary>Inner packet's source, destination.</summary>
    public uint InnerSrc;
    /// <summary>See <see cref="InnerSrc"/>.</summary>
    public uint InnerDst;
    /// <summary>Inner packet's ports (or echo id).</summary>
    public ushort InnerSrcPort;
    /// <summary>See <see cref="InnerSrcPort"/>.</summary>
    public ushort InnerDstPort;

    /// <summary>TCP FIN.</summary>
    public const byte Fin = 0x01;
    /// <summary>TCP SYN.</summary>
    public const byte Syn = 0x02;
    /// <summary>TCP RST.</summary>
    public const byte Rst = 0x04;
    /// <summary>TCP ACK.</summary>
    public const byte Ack = 0x10;

    /// <summary>Parses <paramref name="ip"/> (starting at the IPv4 header).</summary>
    public static NatParse Parse(ReadOnlySpan<byte> ip, out NatHeaders h)
    {
        h = default;
        if (ip.Length < 20 || (ip[0] >> 4) != 4)
        {
            return NatParse.Malformed;
        }

        var ihl = (ip[0] & 15) << 2;
        var total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ihl < 20 || total < ihl || total > ip.Length)
        {
            return NatParse.Malformed;
        }

        // MF set or a non-zero offset: only the first fragment has ports, and later ones cannot be matched.
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3fff) != 0)
        {
            return NatParse.Fragment;
        }

        h.L4 = ihl;
        h.Length = total;
        h.Src = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        h.Dst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        var l4 = ip[ihl..total];
        switch (ip[9])
        {
            case (byte)NatProtocol.Tcp:
                if (l4.Length < 20)
                {
                    return NatParse.Malformed;
                }

                h.Protocol = NatProtocol.Tcp;
                h.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                h.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                h.TcpFlags = l4[13];
                return NatParse.Ok;
            case (byte)NatProtocol.Udp:
                if (l4.Length < 8)
                {
                    return NatParse.Malformed;
                }

                h.Protocol = NatProtocol.Udp;
                h.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                h.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                return NatParse.Ok;
            case (byte)NatProtocol.Icmp:
                if (l4.Length < 8)
                {
                    return NatParse.Malformed;
                }

                if (l4[0] is 0 or 8)
                {
                    h.Protocol = NatProtocol.Icmp;
                    h.SrcPort = h.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                    return NatParse.Ok;
                }

                return l4[0] is 3 or 4 or 5 or 11 or 12 ? ParseQuoted(ip, ref h) : NatParse.Other;
            default:
                return NatParse.Other;
        }
    }

    private static NatParse ParseQuoted(ReadOnlySpan<byte> ip, ref NatHeaders h)
    {
        var inner = h.L4 + 8;
        var q = ip[inner..h.Length];
        if (q.Length < 20 || (q[0] >> 4) != 4)
        {
            return NatParse.Malformed;
        }

        var ihl = (q[0] & 15) << 2;

        // RFC 792 quotes the IP header and 8 bytes: enough for ports (TCP/UDP) or the echo id.
        if (ihl < 20 || q.Length < ihl + 8)
        {
            return NatParse.Malformed;
        }

        h.IsIcmpError = true;
        h.Inner = inner;
        h.InnerSrc = BinaryPrimitives.ReadUInt32BigEndian(q[12..]);
        h.InnerDst = BinaryPrimitives.ReadUInt32BigEndian(q[16..]);
        var l4 = q[ihl..];
        switch (q[9])
        {
            case (byte)NatProtocol.Tcp:
            case (byte)NatProtocol.Udp:
                h.Protocol = (NatProtocol)q[9];
                h.InnerSrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                h.InnerDstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                return NatParse.Ok;
            case (byte)NatProtocol.Icmp when l4[0] is 0 or 8:
                h.Protocol = NatProtocol.Icmp;
                h.InnerSrcPort = h.InnerDstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                return NatParse.Ok;
            default:
                return NatParse.Other;
        }
    }
}
