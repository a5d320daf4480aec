using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Vxlan;

/// <summary>
/// vxlan4-input: UDP 4789 punted by ip4-local. Checks the VXLAN header (I flag), finds the tunnel by
/// (outer source, outer destination, VNI), strips the outer headers and hands the inner frame to
/// l2-input as received on the tunnel interface. Unknown tunnels/VNIs and truncated headers are counted and dropped.
/// A UDP GSO packet of VXLAN datagrams (what vxlan4-encap sends) is merged back into one TCP
/// super-frame when its datagrams carry one in-order TCP flow, else split into single datagrams.
/// </summary>
internal sealed class VxlanInputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "vxlan4-input";

    private readonly NextSlot _nextL2;
    private readonly ErrorSlot _errDecapsulated;
    private readonly ErrorSlot _errNoTunnel;
    private readonly ErrorSlot _errTruncated;
    private readonly ErrorSlot _errBadFlags;
    private readonly ErrorSlot _errNotBridged;
    private readonly ErrorSlot _errDown;
    private readonly ErrorSlot _errCoalesced;
    private readonly ErrorSlot _errSplit;
    private readonly ErrorSlot _errNoBuffer;

    private const int VxlanLength = 8;

    /// <summary>Creates the node.</summary>
    public VxlanInputNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextL2 = AddNext("l2-input");
        _errDecapsulated = AddError("packets decapsulated");
        _errNoTunnel = AddError("no such tunnel (unknown source VTEP or VNI)");
        _errTruncated = AddError("VXLAN header or inner frame truncated");
        _errBadFlags = AddError("VXLAN I flag not set");
        _errNotBridged = AddError("tunnel not in a bridge domain");
        _errDown = AddError("tunnel is down");
        _errCoalesced = AddError("UDP GSO packets merged into TCP super-frames");
        _errSplit = AddError("UDP GSO packets split into datagrams");
        _errNoBuffer = AddError("no buffer to split a UDP GSO packet");
    }

    /// <inheritdoc />
    public override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        foreach (var b in buffers)
        {
            if (Pool.Meta(b).Gso == GsoType.UdpL4)
            {
                DecapsulateUdpGso(ctx, b);
            }
            else
            {
                Decapsulate(ctx, b);
            }
        }
    }

    /// <summary>Decapsulates one VXLAN packet (current data = outer IPv4 header).</summary>
    private unsafe void Decapsulate(WorkerContext ctx, int b)
    {
        ref var m = ref Pool.Meta(b);
        var p = Pool.Data(b);
        var ihl = (p[0] & 15) << 2;
        var outer = ihl + 16;
        if (m.CurrentLength < outer + 14)
        {
            ctx.Drop(b, Error(_errTruncated));
            return;
        }

        if (FindTunnel(ctx, b, p, ihl) is not { } sw)
        {
            return;
        }

        // Strip: what was relative to the outer L2 header is now relative to the inner one.
        if ((m.Flags & BufferFlags.ChecksumPartial) != 0)
        {
            m.CsumStart = (ushort)Math.Max(0, m.CsumStart - (14 + outer));
        }

        m.CurrentData += outer;
        m.CurrentLength -= outer;
        Deliver(ctx, b, sw);
    }

    /// <summary>
    /// Checks the VXLAN header after the outer IPv4/UDP headers and finds its tunnel; drops the
    /// packet (counted) and returns null when the header is bad or the tunnel unknown, down or unbridged.
    /// </summary>
    private unsafe int? FindTunnel(WorkerContext ctx, int b, byte* p, int ihl)
    {
        var vx = p + ihl + 8;
        if ((vx[0] & 0x08) == 0)
        {
            ctx.Drop(b, Error(_errBadFlags));
            return null;
        }

        var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 12, 4));
        var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 16, 4));
        var vni = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(vx + 4, 4)) >> 8;
        if (!Dataplane.VxlanLookup.TryGetValue((src, dst, vni), out var sw))
        {
            ctx.Drop(b, Error(_errNoTunnel));
            return null;
        }

        var intf = Dataplane.InterfaceArray[sw]!;
        if (!intf.AdminUp)
        {
            ctx.Drop(b, Error(_errDown));
            return null;
        }

        if (intf.BridgeDomain < 0)
        {
            ctx.Drop(b, Error(_errNotBridged));
            return null;
        }

        return sw;
    }

    private void Deliver(WorkerContext ctx, int b, int sw)
    {
        ref var m = ref Pool.Meta(b);
        m.RxSwIfIndex = sw;
        m.L2Offset = m.CurrentData;
        ref var c = ref ctx.IfCounters[sw];
        c.RxPackets++;
        c.RxBytes += m.CurrentLength;
        ctx.CountError(Error(_errDecapsulated));
        ctx.Enqueue(Next(_nextL2), b);
    }

    /// <summary>
    /// A UDP GSO super-packet (several VXLAN datagrams of gso_size bytes behind one outer header, as
    /// vxlan4-encap of another node sends them): when its datagrams carry consecutive segments of one
    /// TCP/IPv4 flow — always the case for what vxlan4-encap built — they are merged in place into one
    /// TCP GSO super-frame (the receive-side counterpart of GRO), so the pod's TAP gets one write per
    /// 64 KB. Anything else is split into single datagrams that take the ordinary path.
    /// </summary>
    private unsafe void DecapsulateUdpGso(WorkerContext ctx, int b)
    {
        ref var m = ref Pool.Meta(b);
        var p = Pool.Data(b);
        var ihl = (p[0] & 15) << 2;
        var udpPayload = m.CurrentLength - ihl - 8;
        int gs = m.GsoSize;
        m.Gso = GsoType.None;
        if (gs < VxlanLength + 14 || udpPayload <= gs)
        {
            m.Flags &= ~BufferFlags.ChecksumPartial; // a single datagram: the outer checksum is not needed
            Decapsulate(ctx, b);
            return;
        }

        if (FindTunnel(ctx, b, p, ihl) is not { } sw)
        {
            return;
        }

        if (Coalesce(ref m, p, ihl, udpPayload, gs))
        {
            ctx.CountError(Error(_errCoalesced));
            Deliver(ctx, b, sw);
            return;
        }

        // Split: each datagram gets a copy of the outer headers and goes through the ordinary path.
        ctx.CountError(Error(_errSplit));
        for (var off = 0; off < udpPayload; off += gs)
        {
            var len = Math.Min(gs, udpPayload - off);
            var o = ctx.Buffers.Alloc();
            if (o < 0)
            {
                ctx.CountError(Error(_errNoBuffer));
                break;
            }

            ref var om = ref Pool.Meta(o);
            var q = Pool.Data(o);
            new ReadOnlySpan<byte>(p, ihl + 8).CopyTo(new Span<byte>(q, ihl + 8));
            new ReadOnlySpan<byte>(p + ihl + 8 + off, len).CopyTo(new Span<byte>(q + ihl + 8, len));
            BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(q + 2, 2), (ushort)(ihl + 8 + len));
            BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(q + ihl + 4, 2), (ushort)(8 + len));
            om.CurrentLength = ihl + 8 + len;
            om.RxSwIfIndex = m.RxSwIfIndex;
            om.FibIndex = m.FibIndex;
            om.L3Offset = om.CurrentData;
            Decapsulate(ctx, o);
        }

        ctx.Buffers.Free(b);
    }

    /// <summary>
    /// Merges the datagrams of a UDP GSO packet into one TCP GSO super-frame in place when every
    /// datagram is VXLAN with the same header carrying the next in-order, full-MSS segment of the
    /// same TCP/IPv4 flow (headers equal but for length, ID, sequence, PSH/FIN on the last and CWR
    /// on the first). Inner TCP checksums are verified unless the packet was generated on this host
    /// (outer checksum partial: it never crossed a wire). On success the buffer holds the inner
    /// super-frame with a partial TCP checksum.
    /// </summary>
    private static unsafe bool Coalesce(ref BufferMeta m, byte* p, int ihl, int udpPayload, int gs)
    {
        var first = p + ihl + 8;
        var f0 = first + VxlanLength;
        var f0Len = gs - VxlanLength;
        if (f0Len < 14 + 20 + 20 || f0[12] != 0x08 || f0[13] != 0 || f0[14] >> 4 != 4 || f0[14 + 9] != 6)
        {
            return false;
        }

        var iihl = (f0[14] & 15) << 2;
        var l4 = 14 + iihl;
        var thl = f0Len >= l4 + 20 ? (f0[l4 + 12] >> 4) << 2 : 0;
        var hdrs = l4 + thl;
        var mss = f0Len - hdrs;
        if (iihl < 20 || thl < 20 || mss <= 0)
        {
            return false;
        }

        var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(f0 + 14 + 12, 4));
        var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(f0 + 14 + 16, 4));
        var seq = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(f0 + l4 + 4, 4));
        var verify = (m.Flags & BufferFlags.ChecksumPartial) == 0;
        var n = (udpPayload + gs - 1) / gs;
        byte lastFlags = 0;
        for (var i = 0; i < n; i++)
        {
            var seg = first + (i * gs);
            var f = seg + VxlanLength;
            var fLen = Math.Min(gs, udpPayload - (i * gs)) - VxlanLength;
            var plen = fLen - hdrs;
            if (plen <= 0 || (i < n - 1 && plen != mss)
                || BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(f + 14 + 2, 2)) != fLen - 14
                || (BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(f + 14 + 6, 2)) & 0x3fff) != 0
                || BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(f + l4 + 4, 4)) != seq)
            {
                return false;
            }

            if (i > 0 && !(SameBytes(seg, first, VxlanLength + 14 + 2) // VXLAN, Ethernet, version/IHL/TOS
                && SameBytes(f + 14 + 8, f0 + 14 + 8, 2) && SameBytes(f + 14 + 12, f0 + 14 + 12, 8) // TTL, protocol, addresses
                && SameBytes(f + l4, f0 + l4, 4) && SameBytes(f + l4 + 8, f0 + l4 + 8, 5) // ports, ack, data offset
                && SameBytes(f + l4 + 14, f0 + l4 + 14, 2) && SameBytes(f + l4 + 18, f0 + l4 + 18, thl - 18))) // window, urgent pointer, options
            {
                return false;
            }

            // Only ACK/ECE anywhere, CWR on the first, PSH/FIN on the last.
            var flags = f[l4 + 13];
            var allowed = 0x10 | 0x40 | (i == 0 ? 0x80 : 0) | (i == n - 1 ? 0x09 : 0);
            if ((flags & ~allowed) != 0)
            {
                return false;
            }

            if (verify && Checksum.Fold(Checksum.Sum(new ReadOnlySpan<byte>(f + l4, thl + plen), Checksum.PseudoHeader(src, dst, 6, thl + plen))) != 0xffff)
            {
                return false;
            }

            lastFlags = flags;
            seq += (uint)plen;
        }

        // Move the payloads of datagrams 1..n-1 down behind the first one's (memmove semantics).
        var to = f0 + hdrs + mss;
        for (var i = 1; i < n; i++)
        {
            var from = first + (i * gs) + VxlanLength + hdrs;
            var plen = Math.Min(gs, udpPayload - (i * gs)) - VxlanLength - hdrs;
            new ReadOnlySpan<byte>(from, plen).CopyTo(new Span<byte>(to, plen));
            to += plen;
        }

        var total = (int)(to - (f0 + hdrs));
        var ip = new Span<byte>(f0 + 14, iihl);
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(iihl + thl + total));
        ip[10] = 0;
        ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var tcp = new Span<byte>(f0 + l4, thl);
        tcp[13] |= (byte)(lastFlags & 0x09);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Fold(Checksum.PseudoHeader(src, dst, 6, thl + total)));
        m.CurrentData += (int)(f0 - p);
        m.CurrentLength = hdrs + total;
        m.Gso = GsoType.TcpV4;
        m.GsoSize = (ushort)mss;
        m.GsoHeaderLength = (ushort)hdrs;
        m.Flags = (m.Flags & ~BufferFlags.ChecksumValid) | BufferFlags.ChecksumPartial;
        m.CsumStart = (ushort)l4;
        m.CsumOffset = 16;
        return true;
    }

    private static unsafe bool SameBytes(byte* a, byte* b, int n) => new ReadOnlySpan<byte>(a, n).SequenceEqual(new ReadOnlySpan<byte>(b, n));

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        var s = Pool.Span(buffer);
        if (s.Length < 36)
        {
            return "truncated";
        }

        var ihl = (s[0] & 15) * 4;
        return s.Length < ihl + 16 ? "truncated" : $"VXLAN decap from {Ip4Address.Format(BinaryPrimitives.ReadUInt32BigEndian(s[12..]))} vni {BinaryPrimitives.ReadUInt32BigEndian(s[(ihl + 12)..]) >> 8}";
    }
}
