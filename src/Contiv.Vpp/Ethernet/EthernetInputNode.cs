using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ethernet;

/// <summary>
/// ethernet-input: validates the Ethernet header, filters on destination MAC (own, broadcast,
/// multicast), sends L2-mode interfaces' frames to l2-input and dispatches by ethertype.
/// </summary>
internal sealed class EthernetInputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ethernet-input";

    private readonly NextSlot _nextIp4;
    private readonly NextSlot _nextArp;
    private readonly NextSlot _nextL2;
    private readonly ErrorSlot _errShort;
    private readonly ErrorSlot _errMacMismatch;
    private readonly ErrorSlot _errUnknownType;
    private readonly ErrorSlot _errOversize;
    private readonly ErrorSlot _errVlan;
    private readonly ErrorSlot _errDown;

    /// <summary>Creates the node.</summary>
    public EthernetInputNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextIp4 = AddNext("ip4-input");
        _nextArp = AddNext("arp-input");
        _nextL2 = AddNext("l2-input");
        _errShort = AddError("ethernet frame too short");
        _errMacMismatch = AddError("l3 mac mismatch");
        _errUnknownType = AddError("unknown ethernet type");
        _errOversize = AddError("frame larger than MTU (jumbo)");
        _errVlan = AddError("unknown vlan");
        _errDown = AddError("interface is down");
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
                ctx.Drop(b, Error(_errShort));
                continue;
            }

            if (!intf.AdminUp)
            {
                ctx.Drop(b, Error(_errDown));
                continue;
            }

            var p = Pool.Data(b);
            m.L2Offset = m.CurrentData;
            if (intf.BridgeDomain >= 0 && !intf.IsBvi)
            {
                ctx.Enqueue(Next(_nextL2), b);
                continue;
            }

            // Non-GSO frames may carry at most MTU bytes of payload (+ a VLAN tag's worth of slack).
            if (m.Gso == GsoType.None && m.CurrentLength > intf.Mtu + 18)
            {
                ctx.Drop(b, Error(_errOversize));
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
                    ctx.Drop(b, Error(_errMacMismatch));
                    continue;
                }
            }

            m.L3Offset = m.CurrentData + 14;
            m.CurrentData += 14;
            m.CurrentLength -= 14;
            switch (type)
            {
                case 0x0800:
                    ctx.Enqueue(Next(_nextIp4), b);
                    break;
                case 0x0806:
                    ctx.Enqueue(Next(_nextArp), b);
                    break;
                case 0x8100:
                case 0x88a8:
                    ctx.Drop(b, Error(_errVlan));
                    break;
                default:
                    ctx.Drop(b, Error(_errUnknownType));
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
