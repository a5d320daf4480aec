using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;

namespace Contiv.Linux.Tests;

/// <summary>Builds and recognises the Ethernet/IPv4/ICMP frames the TAP tests exchange with the kernel.</summary>
internal static class Frames
{
    public const int IcmpFrameLength = 14 + 20 + 8 + 32;

    public static byte[] IcmpEchoRequest(PhysicalAddress srcMac, PhysicalAddress dstMac, IPAddress src, IPAddress dst, ushort id, ushort seq)
    {
        var f = new byte[IcmpFrameLength];
        dstMac.GetAddressBytes().CopyTo(f, 0);
        srcMac.GetAddressBytes().CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        var ip = f.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], 20 + 8 + 32);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
        ip[8] = 64;
        ip[9] = 1;
        src.GetAddressBytes().CopyTo(ip[12..]);
        dst.GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        var icmp = f.AsSpan(34);
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        for (var i = 8; i < icmp.Length; i++)
        {
            icmp[i] = (byte)i;
        }

        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return f;
    }

    /// <summary>True when the frame is an ICMP echo reply from <paramref name="src"/> to <paramref name="dst"/> with the id.</summary>
    public static bool IsEchoReply(ReadOnlySpan<byte> f, PhysicalAddress dstMac, IPAddress src, IPAddress dst, ushort id)
        => f.Length >= 42
           && f[..6].SequenceEqual(dstMac.GetAddressBytes())
           && BinaryPrimitives.ReadUInt16BigEndian(f[12..]) == 0x0800
           && f[23] == 1
           && f.Slice(26, 4).SequenceEqual(src.GetAddressBytes())
           && f.Slice(30, 4).SequenceEqual(dst.GetAddressBytes())
           && f[34] == 0
           && BinaryPrimitives.ReadUInt16BigEndian(f[38..]) == id;

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
