using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-icmp-error: turns the packet into an ICMP error (type/code in <see cref="BufferMeta.IcmpErrorType"/>/<see cref="BufferMeta.IcmpErrorCode"/>:
/// bits 8..15 type, 0..7 code, 16..31 next-hop MTU) quoting its IP header + up to 548 bytes, sourced
/// from the rx interface's address, and sends it back through ip4-lookup. Never answers ICMP errors,
/// broadcasts or multicasts.
/// </summary>
internal sealed class IcmpErrorNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "ip4-icmp-error";

    private readonly NextSlot _nextLookup;
    private readonly ErrorSlot _errTimeExceeded;
    private readonly ErrorSlot _errUnreachable;
    private readonly ErrorSlot _errSuppressed;
    private readonly ErrorSlot _errNoSource;
    private readonly ErrorSlot _errRxDeleted;
    private readonly ErrorSlot _errHeadroom;
    private readonly ErrorSlot _errRateLimited;

    /// <summary>Creates the node.</summary>
    public IcmpErrorNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextLookup = AddNext("ip4-lookup");
        _errTimeExceeded = AddError("ICMP time exceeded sent");
        _errUnreachable = AddError("ICMP destination unreachable sent");
        _errSuppressed = AddError("ICMP error suppressed (error, broadcast or multicast)");
        _errNoSource = AddError("no source address for ICMP error");
        _errRxDeleted = AddError("rx interface deleted");
        _errHeadroom = AddError("no buffer headroom for the ICMP error headers");
        _errRateLimited = AddError("ICMP error rate limited");
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

            // A packet can outlive its rx interface (it waited for ARP while the pod was deleted).
            var rx = (uint)m.RxSwIfIndex < (uint)ifs.Length ? ifs[m.RxSwIfIndex] : null;
            if (rx is null)
            {
                ctx.Drop(b, Error(_errRxDeleted));
                continue;
            }

            var src = Dataplane.SourceAddressFor(m.RxSwIfIndex, origSrc);
            if (src == 0)
            {
                ctx.Drop(b, Error(_errNoSource));
                continue;
            }

            if (!ctx.IcmpErrors.TryTake())
            {
                ctx.Drop(b, Error(_errRateLimited));
                continue;
            }

            if (m.CurrentData < 28 + 14)
            {
                ctx.Drop(b, Error(_errHeadroom));
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
            m.FibIndex = rx.FibIndex;
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
