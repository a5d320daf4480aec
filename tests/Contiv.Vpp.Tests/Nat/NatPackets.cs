using System.Buffers.Binary;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests.Nat;

/// <summary>
/// IPv4 packets for NAT tests, and verification by a full checksum computation written here
/// (16-bit textbook sum), independent of the incremental updates under test.
/// </summary>
internal static class NatPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Ack = 0x10;

    public static uint A(string s) => Ip4Address.Parse(s);

    public static byte[] Tcp(string src, ushort sport, string dst, ushort dport, byte flags, int payload = 0, uint seq = 1000, uint ack = 0)
    {
        var l4 = new byte[20 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(8), ack);
        l4[12] = 5 << 4;
        l4[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 65535);
        for (var i = 0; i < payload; i++)
        {
            l4[20 + i] = (byte)(i * 7);
        }

        var p = Packets.Ip4(src, dst, 6, l4);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), L4Checksum(p));
        return p;
    }

    public static byte[] Udp(string src, ushort sport, string dst, ushort dport, int payload = 16, bool checksum = true)
    {
        var l4 = Packets.Udp(sport, dport, payload);
        for (var i = 0; i < payload; i++)
        {
            l4[8 + i] = (byte)(i * 3 + 1);
        }

        var p = Packets.Ip4(src, dst, 17, l4);
        if (checksum)
        {
            var c = L4Checksum(p);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(26), c == 0 ? (ushort)0xffff : c);
        }

        return p;
    }

    public static byte[] Echo(string src, string dst, ushort id, bool reply = false)
        => Packets.Ip4(src, dst, 1, Packets.IcmpEcho(id, 1, 24, reply ? (byte)0 : (byte)8));

    /// <summary>An ICMP error (type/code) from <paramref name="src"/> to <paramref name="dst"/> quoting <paramref name="offending"/> (IP header + 8 bytes, like routers, or more).</summary>
    public static byte[] IcmpError(string src, string dst, byte[] offending, byte type = 3, byte code = 3, int quote = 28)
    {
        quote = Math.Min(quote, offending.Length);
        var icmp = new byte[8 + quote];
        icmp[0] = type;
        icmp[1] = code;
        offending.AsSpan(0, quote).CopyTo(icmp.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Packets.IpChecksum(icmp));
        return Packets.Ip4(src, dst, 1, icmp);
    }

    public static string Src(byte[] p) => Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(12)));

    public static string Dst(byte[] p) => Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(16)));

    public static ushort SrcPort(byte[] p) => BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(20));

    public static ushort DstPort(byte[] p) => BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(22));

    public static ushort EchoId(byte[] p) => BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(24));

    public static ushort UdpChecksumField(byte[] p) => BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(26));

    /// <summary>The quoted packet of an ICMP error (outer IHL 20).</summary>
    public static byte[] Inner(byte[] p) => p.AsSpan(28).ToArray();

    /// <summary>The checksum the L4 header of <paramref name="p"/> must carry, computed from scratch (field treated as zero).</summary>
    public static ushort L4Checksum(byte[] p)
    {
        var ihl = (p[0] & 15) << 2;
        var proto = p[9];
        var len = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2)) - ihl;
        var l4 = p.AsSpan(ihl, len).ToArray();
        var at = proto == 6 ? 16 : proto == 17 ? 6 : 2;
        l4[at] = 0;
        l4[at + 1] = 0;
        if (proto == 1)
        {
            return Packets.IpChecksum(l4);
        }

        var pseudo = new byte[12 + l4.Length];
        p.AsSpan(12, 8).CopyTo(pseudo);
        pseudo[9] = proto;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)len);
        l4.CopyTo(pseudo, 12);
        return Packets.IpChecksum(pseudo);
    }

    /// <summary>Asserts the IP header checksum and the L4 checksum (UDP 0 = absent is accepted) of a complete packet.</summary>
    public static void AssertChecksums(byte[] p)
    {
        var ihl = (p[0] & 15) << 2;
        Assert.True(Packets.ChecksumOk(p.AsSpan(0, ihl)), "IPv4 header checksum");
        var at = ihl + (p[9] == 6 ? 16 : p[9] == 17 ? 6 : 2);
        var field = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(at));
        if (p[9] == 17 && field == 0)
        {
            return;
        }

        var expected = L4Checksum(p);
        if (p[9] == 17 && expected == 0)
        {
            expected = 0xffff;
        }

        Assert.Equal(expected, field);
    }
}
