using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ethernet;

/// <summary>
/// ethernet-input: validates the Ethernet header, filters on destination MAC (own, broadcast,
/// multicast), sends L2-mode interfaces' frames to l2-input and dispatches by ethertype.
/// </summary>
public sealed class EthernetInputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ethernet-input";

    private const int NextIp4 = 0;
    private const int NextArp = 1;
    private const int NextL2 = 2;

    private const int ErrShort = 0;
    private const int ErrMacMismatch = 1;
    private const int ErrUnknownType = 2;
    private const int ErrOversize = 3;
    private const int ErrVlan = 4;
    private const int ErrDown = 5;

    /// <summary>Creates the node.</summary>
    public EthernetInputNode()
        : base(NodeName, NodeKind.Internal, ["ip4-input", "arp-input", "l2-input"],
            ["ethernet frame too short", "l3 mac mismatch", "unknown ethernet type", "frame larger than MTU (jumbo)", "unknown vlan", "interface is down"])
    {
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var intf = ifs[m.RxSwIfIndex]!;
            if (m.CurrentLength < 14)
            {
                ctx.Drop(b, Error(ErrShort));
                continue;
            }

            if (!intf.AdminUp)
            {
                ctx.Drop(b, Error(ErrDown));
                continue;
            }

            var p = Pool.Data(b);
            m.L2Offset = m.CurrentData;
            if (intf.BridgeDomain >= 0 && !intf.IsBvi)
            {
                ctx.Enqueue(Next(NextL2), b);
                continue;
            }

            // Non-GSO frames may carry at most MTU bytes of payload (+ a VLAN tag's worth of slack).
            if (m.Gso == GsoType.None && m.CurrentLength > intf.Mtu + 18)
            {
                ctx.Drop(b, Error(ErrOversize));
                continue;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p + 12, 2));
            if ((p[0] & 1) == 0)
            {
                // Unicast: must be ours.
                var dst = ((ulong)BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p, 2)) << 32)
                    | BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 2, 4));
                if (dst != intf.Mac.Value)
                {
                    ctx.Drop(b, Error(ErrMacMismatch));
                    continue;
                }
            }

            m.L3Offset = m.CurrentData + 14;
            m.CurrentData += 14;
            m.CurrentLength -= 14;
            switch (type)
            {
                case 0x0800:
                    ctx.Enqueue(Next(NextIp4), b);
                    break;
                case 0x0806:
                    ctx.Enqueue(Next(NextArp), b);
                    break;
                case 0x8100:
                case 0x88a8:
                    ctx.Drop(b, Error(ErrVlan));
                    break;
                default:
                    ctx.Drop(b, Error(ErrUnknownType));
                    break;
            }
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        var s = Pool.Span(buffer);
        if (s.Length < 14)
        {
            return $"truncated frame, {s.Length} bytes";
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(s[12..]);
        var name = type switch { 0x0800 => "IP4", 0x0806 => "ARP", 0x86dd => "IP6", _ => $"0x{type:x4}" };
        return $"{name}: {MacAddress.Read(s[6..])} -> {MacAddress.Read(s)}";
    }
}
