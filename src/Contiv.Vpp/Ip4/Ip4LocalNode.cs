using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-local: packets addressed to the data plane. Answers ICMP echo requests, hands UDP to a
/// registered punt node by destination port (VXLAN registers 4789), and answers everything else
/// with ICMP port/protocol unreachable. Packets for an STN address that it would not consume go to
/// stn-ip4-punt instead (the host behind the rule's interface answers them).
/// </summary>
internal sealed class Ip4LocalNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-local";

    private readonly NextSlot _nextLookup;
    private readonly NextSlot _nextIcmpError;
    private readonly NextSlot _nextStn;
    private readonly ErrorSlot _errEchoReplies;
    private readonly ErrorSlot _errIcmpOther;
    private readonly ErrorSlot _errTruncated;
    private readonly ErrorSlot _errIcmpChecksum;
    private readonly ErrorSlot _errFragment;

    /// <summary>Creates the node.</summary>
    public Ip4LocalNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextLookup = AddNext("ip4-lookup");
        _nextIcmpError = AddNext("ip4-icmp-error");
        _nextStn = AddNext(Stn.StnIp4PuntNode.NodeName);
        _errEchoReplies = AddError("ICMP echo replies sent");
        _errIcmpOther = AddError("ICMP type not handled");
        _errTruncated = AddError("l4 header truncated");
        _errIcmpChecksum = AddError("bad ICMP checksum");
        _errFragment = AddError("fragments to self not supported");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        var punt = Dataplane.UdpPuntNodes;
        var stn = Dataplane.StnRuleArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var p = Pool.Data(b);
            var ihl = (p[0] & 15) << 2;
            var l4len = m.CurrentLength - ihl;
            var proto = p[9];
            // STN: what the data plane does not consume itself belongs to the host that shares the address.
            if (stn.Length != 0 && Stn.StnIp4PuntNode.Claims(Dataplane, stn, p, m.CurrentLength))
            {
                ctx.Enqueue(Next(_nextStn), b);
                continue;
            }

            if ((BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p + 6, 2)) & 0x3fff) != 0)
            {
                ctx.Drop(b, Error(_errFragment));
                continue;
            }

            if (proto == 1)
            {
                if (l4len < 8)
                {
                    ctx.Drop(b, Error(_errTruncated));
                    continue;
                }

                var icmp = p + ihl;
                if (icmp[0] != 8)
                {
                    ctx.Drop(b, Error(_errIcmpOther));
                    continue;
                }

                if ((m.Flags & BufferFlags.ChecksumPartial) == 0
                    && Checksum.Fold(Checksum.Sum(new ReadOnlySpan<byte>(icmp, l4len))) != 0xffff)
                {
                    ctx.Drop(b, Error(_errIcmpChecksum));
                    continue;
                }

                // Echo reply in place: swap addresses, type 8 -> 0 (incremental ICMP checksum), fresh TTL.
                var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 12, 4));
                var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 16, 4));
                BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(p + 12, 4), dst);
                BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(p + 16, 4), src);
                p[8] = 64;
                p[10] = 0;
                p[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(p + 10, 2), Checksum.Compute(new ReadOnlySpan<byte>(p, ihl)));
                var ics = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(icmp + 2, 2));
                var oldWord = (ushort)((icmp[0] << 8) | icmp[1]);
                icmp[0] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(icmp + 2, 2), Checksum.Update(ics, oldWord, (ushort)(oldWord & 0x00ff)));
                m.Flags = (m.Flags | BufferFlags.LocallyOriginated) & ~BufferFlags.ChecksumPartial;
                m.Gso = GsoType.None;
                m.FibIndex = ifs[m.RxSwIfIndex]!.FibIndex;
                ctx.CountError(Error(_errEchoReplies));
                ctx.Enqueue(Next(_nextLookup), b);
                continue;
            }

            if (proto == 17)
            {
                if (l4len < 8)
                {
                    ctx.Drop(b, Error(_errTruncated));
                    continue;
                }

                var port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p + ihl + 2, 2));
                var node = punt[port];
                if (node != 0)
                {
                    ctx.Enqueue(node, b);
                    continue;
                }

                m.IcmpErrorType = 3; // destination unreachable
                m.IcmpErrorCode = 3; // port unreachable
                m.IcmpErrorMtu = 0;
                ctx.Enqueue(Next(_nextIcmpError), b);
                continue;
            }

            m.IcmpErrorType = 3; // destination unreachable
            m.IcmpErrorCode = 2; // protocol unreachable
            m.IcmpErrorMtu = 0;
            ctx.Enqueue(Next(_nextIcmpError), b);
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer) => EthernetFormat.DescribeIp4(Pool.Span(buffer));
}
