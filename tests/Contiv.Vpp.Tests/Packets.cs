using System.Buffers.Binary;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>Builds and parses test frames (independent of the data plane's own code paths where it matters).</summary>
internal static class Packets
{
    public static byte[] Ethernet(MacAddress dst, MacAddress src, ushort type, byte[] payload)
    {
        var f = new byte[14 + payload.Length];
        dst.Write(f);
        src.Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), type);
        payload.CopyTo(f, 14);
        return f;
    }

    public static byte[] Ip4(string src, string dst, byte proto, byte[] l4, byte ttl = 64, ushort id = 1, bool df = true)
    {
        var p = new byte[20 + l4.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
        p[6] = df ? (byte)0x40 : (byte)0;
        p[8] = ttl;
        p[9] = proto;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), Ip4Address.Parse(src));
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), Ip4Address.Parse(dst));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), IpChecksum(p.AsSpan(0, 20)));
        l4.CopyTo(p, 20);
        return p;
    }

    public static byte[] IcmpEcho(ushort id, ushort seq, int payload = 32, byte type = 8)
    {
        var i = new byte[8 + payload];
        i[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(i.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(i.AsSpan(6), seq);
        for (var k = 0; k < payload; k++)
        {
            i[8 + k] = (byte)k;
        }

        BinaryPrimitives.WriteUInt16BigEndian(i.AsSpan(2), IpChecksum(i));
        return i;
    }

    public static byte[] Udp(ushort sport, ushort dport, int payload)
    {
        var u = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(u, sport);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(4), (ushort)u.Length);
        return u;
    }

    public static byte[] Arp(ushort op, MacAddress senderMac, string senderIp, MacAddress targetMac, string targetIp)
    {
        var a = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(a, 1);
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(2), 0x0800);
        a[4] = 6;
        a[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(6), op);
        senderMac.Write(a.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(14), Ip4Address.Parse(senderIp));
        targetMac.Write(a.AsSpan(18));
        BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(24), Ip4Address.Parse(targetIp));
        return a;
    }

    /// <summary>Straightforward RFC 1071 checksum (16-bit words), independent of the product's 32-bit version.</summary>
    public static ushort IpChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)(data[^1] << 8);
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    public static bool ChecksumOk(ReadOnlySpan<byte> data) => IpChecksum(data) == 0;

    public static ushort EtherType(byte[] f) => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12));

    public static MacAddress DstMac(byte[] f) => MacAddress.Read(f);

    public static MacAddress SrcMac(byte[] f) => MacAddress.Read(f.AsSpan(6));

    public static string IpSrc(byte[] f) => Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(26)));

    public static string IpDst(byte[] f) => Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(30)));

    public static byte Ttl(byte[] f) => f[22];

    public static byte Proto(byte[] f) => f[23];
}
