using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-local: packets addressed to the data plane. Answers ICMP echo requests, hands UDP to a
/// registered punt node by destination port (VXLAN registers 4789), and answers everything else
/// with ICMP port/protocol unreachable.
/// </summary>
public sealed class Ip4LocalNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-local";

    private readonly NextSlot _nextLookup;
    private readonly NextSlot _nextIcmpError;
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
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var p = Pool.Data(b);
            var ihl = (p[0] & 15) << 2;
            var l4len = m.CurrentLength - ihl;
            var proto = p[9];
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

/// <summary>
/// ip4-icmp-error: turns the packet into an ICMP error (type/code in <see cref="BufferMeta.IcmpErrorType"/>/<see cref="BufferMeta.IcmpErrorCode"/>:
/// bits 8..15 type, 0..7 code, 16..31 next-hop MTU) quoting its IP header + up to 548 bytes, sourced
/// from the rx interface's address, and sends it back through ip4-lookup. Never answers ICMP errors,
/// broadcasts or multicasts.
/// </summary>
public sealed class IcmpErrorNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-icmp-error";

    private readonly NextSlot _nextLookup;
    private readonly ErrorSlot _errTimeExceeded;
    private readonly ErrorSlot _errUnreachable;
    private readonly ErrorSlot _errSuppressed;
    private readonly ErrorSlot _errNoSource;

    /// <summary>Creates the node.</summary>
    public IcmpErrorNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextLookup = AddNext("ip4-lookup");
        _errTimeExceeded = AddError("ICMP time exceeded sent");
        _errUnreachable = AddError("ICMP destination unreachable sent");
        _errSuppressed = AddError("ICMP error suppressed (error, broadcast or multicast)");
        _errNoSource = AddError("no source address for ICMP error");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var p = Pool.Data(b);
            var origSrc = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 12, 4));
            var origIhl = (p[0] & 15) << 2;
            var isIcmpError = p[9] == 1 && m.CurrentLength > origIhl && p[origIhl] is not (0 or 8 or 13 or 14);
            if (origSrc == 0 || (origSrc >> 28) >= 0xe || isIcmpError || (m.Flags & BufferFlags.LocallyOriginated) != 0)
            {
                ctx.Drop(b, Error(_errSuppressed));
                continue;
            }

            var src = Dataplane.SourceAddressFor(m.RxSwIfIndex, origSrc);
            if (src == 0)
            {
                ctx.Drop(b, Error(_errNoSource));
                continue;
            }

            var type = m.IcmpErrorType;
            var code = m.IcmpErrorCode;
            var mtu = m.IcmpErrorMtu;
            var quote = Math.Min(m.CurrentLength, 548);
            m.CurrentData -= 28;
            m.CurrentLength = 28 + quote;
            var h = Pool.Data(b);
            var ip = new Span<byte>(h, 20);
            ip.Clear();
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(28 + quote));
            ip[8] = 64;
            ip[9] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
            BinaryPrimitives.WriteUInt32BigEndian(ip[16..], origSrc);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
            var icmp = new Span<byte>(h + 20, 8 + quote);
            icmp[..8].Clear();
            icmp[0] = type;
            icmp[1] = code;
            BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], mtu);
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
            m.Flags = (m.Flags | BufferFlags.LocallyOriginated) & ~(BufferFlags.ChecksumPartial | BufferFlags.ChecksumValid);
            m.Gso = GsoType.None;
            m.GsoSize = 0;
            m.L3Offset = m.CurrentData;
            m.FibIndex = ifs[m.RxSwIfIndex]!.FibIndex;
            ctx.CountError(Error(type == 11 ? _errTimeExceeded : _errUnreachable));
            ctx.Enqueue(Next(_nextLookup), b);
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        return $"ICMP error type {m.IcmpErrorType} code {m.IcmpErrorCode}";
    }
}
