using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Ethernet;

/// <summary>Human-readable packet summaries for traces (cold path).</summary>
public static class EthernetFormat
{
    /// <summary>Describes an Ethernet frame: <c>IP4: src -> dst</c> then the L3 header.</summary>
    public static string Describe(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return $"truncated ethernet frame, {frame.Length} bytes";
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var name = type switch { 0x0800 => "IP4", 0x0806 => "ARP", 0x86dd => "IP6", _ => $"0x{type:x4}" };
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{name}: {MacAddress.Read(frame[6..])} -> {MacAddress.Read(frame)}");
        if (type == 0x0800)
        {
            sb.Append('\n').Append(DescribeIp4(frame[14..]));
        }
        else if (type == 0x0806)
        {
            sb.Append('\n').Append(DescribeArp(frame[14..]));
        }

        return sb.ToString();
    }

    /// <summary>Describes an IPv4 header (and ICMP type) like VPP's format_ip4_header.</summary>
    public static string DescribeIp4(ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 20)
        {
            return $"truncated ip4 header, {ip.Length} bytes";
        }

        var proto = ip[9];
        var protoName = proto switch { 1 => "ICMP", 6 => "TCP", 17 => "UDP", _ => $"proto {proto}" };
        var src = Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(ip[12..]));
        var dst = Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(ip[16..]));
        var frag = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{protoName}: {src} -> {dst}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  tos 0x{ip[1]:x2}, ttl {ip[8]}, length {BinaryPrimitives.ReadUInt16BigEndian(ip[2..])}, checksum 0x{BinaryPrimitives.ReadUInt16BigEndian(ip[10..]):x4}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  fragment id 0x{BinaryPrimitives.ReadUInt16BigEndian(ip[4..]):x4}{((frag & 0x4000) != 0 ? ", flags DONT_FRAGMENT" : string.Empty)}");
        var ihl = (ip[0] & 15) * 4;
        if (proto == 1 && ip.Length >= ihl + 4)
        {
            var t = ip[ihl];
            var tn = t switch { 0 => "echo_reply", 3 => "destination_unreachable", 8 => "echo_request", 11 => "time_exceeded", _ => $"type {t}" };
            sb.Append(CultureInfo.InvariantCulture, $"\nICMP {tn} checksum 0x{BinaryPrimitives.ReadUInt16BigEndian(ip[(ihl + 2)..]):x4}");
        }
        else if ((proto == 6 || proto == 17) && ip.Length >= ihl + 4)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n{protoName}: {BinaryPrimitives.ReadUInt16BigEndian(ip[ihl..])} -> {BinaryPrimitives.ReadUInt16BigEndian(ip[(ihl + 2)..])}");
        }

        return sb.ToString();
    }

    /// <summary>Describes an ARP packet.</summary>
    public static string DescribeArp(ReadOnlySpan<byte> arp)
    {
        if (arp.Length < 28)
        {
            return $"truncated arp packet, {arp.Length} bytes";
        }

        var op = BinaryPrimitives.ReadUInt16BigEndian(arp[6..]);
        var opName = op switch { 1 => "request", 2 => "reply", _ => $"op {op}" };
        return string.Create(CultureInfo.InvariantCulture,
            $"{opName}, type ethernet/IP4, address size 6/4\n{MacAddress.Read(arp[8..])}/{Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(arp[14..]))} -> {MacAddress.Read(arp[18..])}/{Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(arp[24..]))}");
    }
}
