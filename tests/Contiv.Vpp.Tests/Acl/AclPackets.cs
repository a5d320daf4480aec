using System.Buffers.Binary;
using Contiv.Vpp.Acl;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests.Acl;

/// <summary>Rules and packets for the ACL tests (packets from NatPackets plus SCTP and fragments).</summary>
internal static class AclPackets
{
    public static AclRule Rule(AclAction action, string src = "0.0.0.0/0", string dst = "0.0.0.0/0", byte proto = 0,
        ushort sportLow = 0, ushort sportHigh = ushort.MaxValue, ushort dportLow = 0, ushort dportHigh = ushort.MaxValue, byte flagsMask = 0, byte flagsValue = 0)
    {
        var s = Contiv.Linux.Ip4Prefix.ParseAddress(src);
        var d = Contiv.Linux.Ip4Prefix.ParseAddress(dst);
        return AclRule.Create(action, s.Address.Value, s.Length, d.Address.Value, d.Length, proto, sportLow, sportHigh, dportLow, dportHigh, flagsMask, flagsValue);
    }

    /// <summary>An SCTP packet: the common header (ports, verification tag, checksum) and one DATA-sized chunk.</summary>
    public static byte[] Sctp(string src, ushort sport, string dst, ushort dport)
    {
        var l4 = new byte[12 + 16];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), 0x01020304);
        l4[12] = 1; // INIT
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 16);
        return Packets.Ip4(src, dst, 132, l4);
    }

    /// <summary><paramref name="ip"/> turned into a non-first fragment (offset 8 bytes), its header checksum fixed.</summary>
    public static byte[] NonFirstFragment(byte[] ip)
    {
        var p = (byte[])ip.Clone();
        p[6] = 0;
        p[7] = 1;
        p[10] = p[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Checksum.Compute(p.AsSpan(0, 20)));
        return p;
    }
}
