using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>Malformed frames are counted under their reason and dropped; forwarding continues.</summary>
public sealed class MalformedInputTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "bad-ihl", "ip4-input", "ip4 header length < 20 or > packet" },
        { "bad-total-length", "ip4-input", "ip4 length > l2 length or < header" },
        { "bad-checksum", "ip4-input", "bad ip4 checksum" },
        { "bad-version", "ip4-input", "ip4 version != 4" },
        { "truncated-ip", "ip4-input", "ip4 length < 20 bytes" },
        { "runt", "ethernet-input", "ethernet frame too short" },
        { "jumbo", "ethernet-input", "frame larger than MTU (jumbo)" },
        { "arp-bad-lengths", "arp-input", "ARP hardware/protocol type or address length invalid" },
        { "arp-truncated", "arp-input", "ARP packet too short" },
        { "arp-bad-opcode", "arp-input", "ARP opcode not request or reply" },
        { "wrong-mac", "ethernet-input", "l3 mac mismatch" },
        { "unknown-ethertype", "ethernet-input", "unknown ethernet type" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_frame_is_counted_and_dropped_and_forwarding_continues(string kind, string node, string reason)
    {
        using var t = new TwoPortDataplane();
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        var good = Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1));
        var frame = Build(kind, t, good);
        t.Dp.Inject(t.Pg0, frame);
        Assert.Empty(t.Out1);
        Assert.Equal(1, t.ErrorCount(node, reason));

        t.FromA(good);
        Assert.Single(t.Out1);
    }

    private static byte[] Build(string kind, TwoPortDataplane t, byte[] good)
    {
        byte[] Eth(byte[] p, ushort type = 0x0800) => Packets.Ethernet(t.Pg0.Mac, TwoPortDataplane.HostA, type, p);
        var ip = (byte[])good.Clone();
        switch (kind)
        {
            case "bad-ihl":
                ip[0] = 0x44;
                return Eth(ip);
            case "bad-total-length":
                ip[2] = 0x10;
                FixChecksum(ip);
                return Eth(ip);
            case "bad-checksum":
                ip[10] ^= 0xff;
                return Eth(ip);
            case "bad-version":
                ip[0] = 0x65;
                return Eth(ip);
            case "truncated-ip":
                return Eth(ip[..12]);
            case "runt":
                return Eth(ip)[..10];
            case "jumbo":
                return Eth(Packets.Ip4("10.0.0.2", "10.0.1.2", 17, Packets.Udp(1, 2, 3000)));
            case "arp-bad-lengths":
                {
                    var a = Packets.Arp(1, TwoPortDataplane.HostA, "10.0.0.2", MacAddress.Zero, "10.0.0.1");
                    a[4] = 8;
                    return Eth(a, 0x0806);
                }

            case "arp-truncated":
                return Eth(Packets.Arp(1, TwoPortDataplane.HostA, "10.0.0.2", MacAddress.Zero, "10.0.0.1")[..20], 0x0806);
            case "arp-bad-opcode":
                {
                    var a = Packets.Arp(1, TwoPortDataplane.HostA, "10.0.0.2", MacAddress.Zero, "10.0.0.1");
                    a[7] = 9;
                    return Eth(a, 0x0806);
                }

            case "wrong-mac":
                return Packets.Ethernet(MacAddress.Parse("02:12:34:56:78:9a"), TwoPortDataplane.HostA, 0x0800, ip);
            case "unknown-ethertype":
                return Eth(ip, 0x88b5);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static void FixChecksum(byte[] ip)
    {
        ip[10] = 0;
        ip[11] = 0;
        var cs = Packets.IpChecksum(ip.AsSpan(0, 20));
        ip[10] = (byte)(cs >> 8);
        ip[11] = (byte)cs;
    }
}
