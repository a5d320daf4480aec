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

    private const int NextLookup = 0;
    private const int NextIcmpError = 1;

    private const int ErrEchoReplies = 0;
    private const int ErrIcmpOther = 1;
    private const int ErrTruncated = 2;
    private const int ErrIcmpChecksum = 3;
    private const int ErrFragment = 4;

    /// <summary>Creates the node.</summary>
    public Ip4LocalNode()
        : base(NodeName, NodeKind.Internal, ["ip4-lookup", "ip4-icmp-error"],
            ["ICMP echo replies sent", "ICMP type not handled", "l4 header truncated", "bad ICMP checksum", "fragments to self not supported"])
    {
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
                ctx.Drop(b, Error(ErrFragment));
                continue;
            }

            if (proto == 1)
            {
                if (l4len < 8)
                {
                    ctx.Drop(b, Error(ErrTruncated));
                    continue;
                }

                var icmp = p + ihl;
                if (icmp[0] != 8)
                {
                    ctx.Drop(b, Error(ErrIcmpOther));
                    continue;
                }

                if ((m.Flags & BufferFlags.ChecksumPartial) == 0
                    && Checksum.Fold(Checksum.Sum(new ReadOnlySpan<byte>(icmp, l4len))) != 0xffff)
                {
                    ctx.Drop(b, Error(ErrIcmpChecksum));
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
                ctx.CountError(Error(ErrEchoReplies));
                ctx.Enqueue(Next(NextLookup), b);
                continue;
            }

            if (proto == 17)
            {
                if (l4len < 8)
                {
                    ctx.Drop(b, Error(ErrTruncated));
                    continue;
                }

                var port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p + ihl + 2, 2));
                var node = punt[port];
                if (node != 0)
                {
                    ctx.Enqueue(node, b);
                    continue;
                }

                m.Scratch = (3u << 8) | 3; // port unreachable
                ctx.Enqueue(Next(NextIcmpError), b);
                continue;
            }

            m.Scratch = (3u << 8) | 2; // protocol unreachable
            ctx.Enqueue(Next(NextIcmpError), b);
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer) => EthernetFormat.DescribeIp4(Pool.Span(buffer));
}

/// <summary>
/// ip4-icmp-error: turns the packet into an ICMP error (type/code in <see cref="BufferMeta.Scratch"/>:
/// bits 8..15 type, 0..7 code, 16..31 next-hop MTU) quoting its IP header + up to 548 bytes, sourced
/// from the rx interface's address, and sends it back through ip4-lookup. Never answers ICMP errors,
/// broadcasts or multicasts.
/// </summary>
public sealed class IcmpErrorNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-icmp-error";

    private const int NextLookup = 0;

    private const int ErrTimeExceeded = 0;
    private const int ErrUnreachable = 1;
    private const int ErrSuppressed = 2;
    private const int ErrNoSource = 3;

    /// <summary>Creates the node.</summary>
    public IcmpErrorNode()
        : base(NodeName, NodeKind.Internal, ["ip4-lookup"],
            ["ICMP time exceeded sent", "ICMP destination unreachable sent", "ICMP error suppressed (error, broadcast or multicast)", "no source address for ICMP error"])
    {
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
                ctx.Drop(b, Error(ErrSuppressed));
                continue;
            }

            var src = Dataplane.SourceAddressFor(m.RxSwIfIndex, origSrc);
            if (src == 0)
            {
                ctx.Drop(b, Error(ErrNoSource));
                continue;
            }

            var type = (byte)(m.Scratch >> 8);
            var code = (byte)m.Scratch;
            var mtu = (ushort)(m.Scratch >> 16);
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
            ctx.CountError(Error(type == 11 ? ErrTimeExceeded : ErrUnreachable));
            ctx.Enqueue(Next(NextLookup), b);
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        var s = Pool.Meta(buffer).Scratch;
        return $"ICMP error type {(s >> 8) & 255} code {s & 255}";
    }
}
