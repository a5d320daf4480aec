using System.Buffers.Binary;

namespace Contiv.Vpp.Acl;

/// <summary>
/// What ACL rules and sessions look at in an IPv4 packet, read once per packet: addresses (host order),
/// protocol, ports (TCP, UDP, SCTP), ICMP type/code in the port fields, TCP flags. For ICMP errors the
/// quoted packet's 5-tuple too, so an error about a session's packet (port unreachable, fragmentation
/// needed) passes with the session.
/// </summary>
internal struct AclTuple
{
    /// <summary>IP protocol numbers the parser knows.</summary>
    public const byte Icmp = 1, Tcp = 6, Udp = 17, Sctp = 132;

    /// <summary>TCP flag bits.</summary>
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;

    public uint Src;
    public uint Dst;
    public byte Protocol;
    /// <summary>False for non-first fragments and packets too short for their L4 header: ports and flags are unknown.</summary>
    public bool L4Known;
    public ushort SrcPort;
    public ushort DstPort;
    public byte TcpFlags;
    /// <summary>ICMP echo request or reply: <see cref="EchoId"/> holds the identifier (the session's "ports").</summary>
    public bool IsEcho;
    public ushort EchoId;
    /// <summary>ICMP error quoting a packet whose 5-tuple is in the Inner* fields.</summary>
    public bool IsIcmpError;
    public uint InnerSrc;
    public uint InnerDst;
    public byte InnerProtocol;
    public ushort InnerSrcPort;
    public ushort InnerDstPort;

    /// <summary>True for protocols whose first four L4 bytes are source and destination ports.</summary>
    public static bool HasPorts(byte protocol) => protocol is Tcp or Udp or Sctp;

    /// <summary>Reads <paramref name="ip"/> (starting at the IPv4 header); false when it is not a plausible IPv4 header.</summary>
    public static bool TryParse(ReadOnlySpan<byte> ip, out AclTuple t)
    {
        t = default;
        if (ip.Length < 20 || (ip[0] >> 4) != 4)
        {
            return false;
        }

        var ihl = (ip[0] & 0x0f) * 4;
        if (ihl < 20 || ihl > ip.Length)
        {
            return false;
        }

        t.Protocol = ip[9];
        t.Src = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        t.Dst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        if ((((ip[6] & 0x1f) << 8) | ip[7]) != 0)
        {
            return true; // non-first fragment: no L4 header
        }

        var l4 = ip[ihl..];
        switch (t.Protocol)
        {
            case Tcp:
                if (l4.Length >= 14)
                {
                    t.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                    t.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                    t.TcpFlags = l4[13];
                    t.L4Known = true;
                }

                break;
            case Udp or Sctp:
                if (l4.Length >= 4)
                {
                    t.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                    t.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                    t.L4Known = true;
                }

                break;
            case Icmp:
                if (l4.Length >= 4)
                {
                    t.SrcPort = l4[0];
                    t.DstPort = l4[1];
                    t.L4Known = true;
                    if (l4[0] is 0 or 8 && l4.Length >= 8)
                    {
                        t.IsEcho = true;
                        t.EchoId = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                    }
                    else if (l4[0] is 3 or 11 or 12)
                    {
                        ParseQuoted(l4[8..], ref t);
                    }
                }

                break;
            default:
                t.L4Known = true;
                break;
        }

        return true;
    }

    private static void ParseQuoted(ReadOnlySpan<byte> inner, ref AclTuple t)
    {
        if (inner.Length < 20 || (inner[0] >> 4) != 4)
        {
            return;
        }

        var ihl = (inner[0] & 0x0f) * 4;
        if (ihl < 20 || inner.Length < ihl + 4)
        {
            return;
        }

        t.InnerProtocol = inner[9];
        t.InnerSrc = BinaryPrimitives.ReadUInt32BigEndian(inner[12..]);
        t.InnerDst = BinaryPrimitives.ReadUInt32BigEndian(inner[16..]);
        var l4 = inner[ihl..];
        if (HasPorts(t.InnerProtocol))
        {
            t.InnerSrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            t.InnerDstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
        }
        else if (t.InnerProtocol == Icmp && l4.Length >= 8 && l4[0] is 0 or 8)
        {
            t.InnerSrcPort = t.InnerDstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
        }
        else if (t.InnerProtocol == Icmp)
        {
            return; // an error about an error (or a non-echo ICMP message) belongs to no session
        }

        t.IsIcmpError = true;
    }
}
