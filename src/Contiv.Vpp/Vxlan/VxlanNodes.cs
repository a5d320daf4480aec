using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Vxlan;

/// <summary>
/// vxlan4-encap: prepends outer IPv4/UDP(4789)/VXLAN headers (the Ethernet header follows from
/// ip4-lookup/ip4-rewrite in the tunnel's encap VRF). The UDP source port is a hash of the inner
/// flow (49152–65535) so the underlay can spread flows. A TCP/IPv4 GSO super-frame is cut into its
/// MSS-sized segments, each encapsulated (inner headers fixed up, inner checksums complete), and
/// the encapsulated segments are sent back to back as one UDP GSO (USO) super-packet: one outer
/// IPv4/UDP header, UDP payload = VXLAN segment after VXLAN segment of gso_size bytes each. An
/// AF_PACKET or TAP output hands it to the kernel as one frame (a veth carries it unsegmented; a NIC
/// or the kernel segments it into ordinary VXLAN datagrams); outputs without offload segment it in
/// software. A partial inner checksum on a single packet is left to the output device (csum_start
/// moves with the headers).
/// </summary>
public sealed class VxlanEncapNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "vxlan4-encap";

    private readonly NextSlot _nextLookup;
    private readonly ErrorSlot _errEncapsulated;
    private readonly ErrorSlot _errNoTunnel;
    private readonly ErrorSlot _errSegmentFailed;
    private readonly ErrorSlot _errGsoEncapsulated;
    private readonly ErrorSlot _errNoBuffer;

    /// <summary>Outer IPv4 + UDP + VXLAN bytes.</summary>
    public const int OuterLength = 20 + 8 + 8;

    /// <summary>VXLAN header bytes.</summary>
    private const int VxlanLength = 8;

    /// <summary>Segments per UDP GSO packet the kernel accepts (UDP_MAX_SEGMENTS of older kernels).</summary>
    private const int MaxUdpSegments = 64;

    /// <summary>Creates the node.</summary>
    public VxlanEncapNode()
        : base(NodeName, NodeKind.Internal)
    {
        _nextLookup = AddNext("ip4-lookup");
        _errEncapsulated = AddError("packets encapsulated");
        _errNoTunnel = AddError("no tunnel on tx interface");
        _errSegmentFailed = AddError("GSO segmentation failed");
        _errGsoEncapsulated = AddError("GSO super-frames encapsulated as UDP GSO");
        _errNoBuffer = AddError("no buffer for UDP GSO packet");
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            if (ifs[m.TxSwIfIndex]?.Device is not VxlanDevice dev)
            {
                ctx.Drop(b, Error(_errNoTunnel));
                continue;
            }

            if (m.Gso == GsoType.TcpV4 && EncapsulateTcpGso(ctx, b, dev.Tunnel))
            {
                continue;
            }

            if (m.Gso != GsoType.None)
            {
                if (!SoftwareOffload.SegmentToNode(ctx, b, Index))
                {
                    ctx.CountError(Error(_errSegmentFailed));
                }

                continue;
            }

            var t = dev.Tunnel;
            var inner = Pool.Data(b);
            var innerLen = m.CurrentLength;
            var sport = (ushort)(49152 | (FlowHash(inner, innerLen) & 0x3fff));
            m.CurrentData -= OuterLength;
            m.CurrentLength += OuterLength;
            var h = new Span<byte>(Pool.Data(b), OuterLength);
            WriteOuter(h, t, sport, OuterLength + innerLen);
            BinaryPrimitives.WriteUInt32BigEndian(h[28..], 0x0800_0000);
            BinaryPrimitives.WriteUInt32BigEndian(h[32..], t.Vni << 8);
            if ((m.Flags & BufferFlags.ChecksumPartial) != 0)
            {
                // csum_start is relative to the L2 header that ip4-rewrite will put in front of the outer IP.
                m.CsumStart += 14 + OuterLength;
            }

            m.L3Offset = m.CurrentData;
            m.FibIndex = t.EncapFibIndex;
            m.Flags |= BufferFlags.LocallyOriginated;
            m.RxSwIfIndex = t.SwIfIndex;
            ctx.CountError(Error(_errEncapsulated));
            ctx.Enqueue(Next(_nextLookup), b);
        }
    }

    /// <summary>
    /// Turns a TCP/IPv4 super-frame into one or more UDP GSO packets of encapsulated segments (see the
    /// class summary). False, with the buffer untouched, when the frame is not one this can handle
    /// (then it is segmented in software). Consumes the buffer when true.
    /// </summary>
    private unsafe bool EncapsulateTcpGso(WorkerContext ctx, int b, VxlanTunnel t)
    {
        ref var m = ref Pool.Meta(b);
        var inner = Pool.Data(b);
        var len = m.CurrentLength;
        if (len < 14 + 20 + 20 || inner[12] != 0x08 || inner[13] != 0 || inner[14 + 9] != 6)
        {
            return false;
        }

        var ihl = (inner[14] & 15) << 2;
        var l4 = 14 + ihl;
        if (ihl < 20 || len < l4 + 20)
        {
            return false;
        }

        var thl = (inner[l4 + 12] >> 4) << 2;
        var hdrs = l4 + thl;
        var payload = len - hdrs;
        int mss = m.GsoSize;
        var segment = VxlanLength + hdrs + mss;
        var perPacket = Math.Min(MaxUdpSegments, (ushort.MaxValue - 28) / segment);
        if (thl < 20 || mss == 0 || payload <= mss || perPacket < 2)
        {
            return false;
        }

        var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(inner + 14 + 12, 4));
        var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(inner + 14 + 16, 4));
        var id0 = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(inner + 14 + 4, 2));
        var seq0 = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(inner + l4 + 4, 4));
        var flags0 = inner[l4 + 13];
        var sport = (ushort)(49152 | (FlowHash(inner, len) & 0x3fff));
        var vxlanWord = t.Vni << 8;
        var k = 0;
        var first = true;
        while (k * mss < payload)
        {
            var o = ctx.Buffers.Alloc();
            if (o < 0)
            {
                ctx.Drop(b, Error(_errNoBuffer));
                return true;
            }

            ref var om = ref Pool.Meta(o);
            var q = Pool.Data(o);
            var pos = 28;
            var count = 0;
            for (; count < perPacket && k * mss < payload; count++, k++)
            {
                var off = k * mss;
                var chunk = Math.Min(mss, payload - off);
                var seg = q + pos;
                BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(seg, 4), 0x0800_0000);
                BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(seg + 4, 4), vxlanWord);
                var frame = new Span<byte>(seg + VxlanLength, hdrs + chunk);
                new ReadOnlySpan<byte>(inner, hdrs).CopyTo(frame);
                var payloadSum = Checksum.CopyAndSum(new ReadOnlySpan<byte>(inner + hdrs + off, chunk), frame[hdrs..]);
                var ip = frame.Slice(14, ihl);
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ihl + thl + chunk));
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(id0 + k));
                ip[10] = 0;
                ip[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
                var tcp = frame[l4..];
                BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq0 + (uint)off);
                var fl = flags0;
                if (off + chunk < payload)
                {
                    fl &= unchecked((byte)~0x09); // FIN, PSH only on the last segment
                }

                if (k > 0)
                {
                    fl &= unchecked((byte)~0x80); // CWR only on the first
                }

                tcp[13] = fl;
                tcp[16] = 0;
                tcp[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Compute(tcp[..thl], payloadSum + Checksum.PseudoHeader(src, dst, 6, thl + chunk)));
                pos += VxlanLength + hdrs + chunk;
            }

            var h = new Span<byte>(q, 28);
            WriteOuter(h, t, sport, pos);
            om.CurrentLength = pos;
            if (count > 1)
            {
                // USO: the UDP checksum is left partial (pseudo-header sum in place), as GSO requires.
                om.Gso = GsoType.UdpL4;
                om.GsoSize = (ushort)segment;
                om.GsoHeaderLength = 14 + 28;
                om.Flags |= BufferFlags.ChecksumPartial;
                om.CsumStart = 14 + 20;
                om.CsumOffset = 6;
                BinaryPrimitives.WriteUInt16BigEndian(h[26..], Checksum.Fold(Checksum.PseudoHeader(t.Src, t.Dst, 17, pos - 20)));
            }

            om.L3Offset = om.CurrentData;
            om.FibIndex = t.EncapFibIndex;
            om.Flags |= BufferFlags.LocallyOriginated;
            om.RxSwIfIndex = t.SwIfIndex;
            om.TxSwIfIndex = m.TxSwIfIndex;
            if (first && (m.Flags & BufferFlags.Traced) != 0)
            {
                om.Flags |= BufferFlags.Traced;
                om.TraceIndex = m.TraceIndex;
                m.Flags &= ~BufferFlags.Traced;
                m.TraceIndex = -1;
            }

            first = false;
            ctx.CountError(Error(_errGsoEncapsulated));
            ctx.Enqueue(Next(_nextLookup), o);
        }

        ctx.Buffers.Free(b);
        return true;
    }

    /// <summary>Outer IPv4 (no options, TTL 254, DF clear) + UDP to 4789 for a packet of <paramref name="total"/> bytes from the IP header on.</summary>
    private static void WriteOuter(Span<byte> h, VxlanTunnel t, ushort sport, int total)
    {
        h[0] = 0x45;
        h[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)total);
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], 0);
        h[8] = 254;
        h[9] = 17;
        h[10] = 0;
        h[11] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(h[12..], t.Src);
        BinaryPrimitives.WriteUInt32BigEndian(h[16..], t.Dst);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h[..20]));
        BinaryPrimitives.WriteUInt16BigEndian(h[20..], sport);
        BinaryPrimitives.WriteUInt16BigEndian(h[22..], 4789);
        BinaryPrimitives.WriteUInt16BigEndian(h[24..], (ushort)(total - 20));
        BinaryPrimitives.WriteUInt16BigEndian(h[26..], 0);
    }

    private static unsafe uint FlowHash(byte* frame, int len)
    {
        // Inner Ethernet addresses, plus IPv4 addresses and ports when present.
        var h = 2166136261u;
        var n = Math.Min(len, 14 + 24);
        for (var i = 0; i < 12 && i < n; i++)
        {
            h = (h ^ frame[i]) * 16777619u;
        }

        if (len >= 14 + 24 && frame[12] == 0x08 && frame[13] == 0)
        {
            for (var i = 14 + 12; i < 14 + 24; i++)
            {
                h = (h ^ frame[i]) * 16777619u;
            }
        }

        return h ^ (h >> 16);
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        return Dataplane.Interface(m.TxSwIfIndex)?.Device is VxlanDevice d
            ? $"VXLAN encap to vxlan_tunnel{d.Tunnel.Instance} vni {d.Tunnel.Vni} src {Ip4Address.Format(d.Tunnel.Src)} dst {Ip4Address.Format(d.Tunnel.Dst)}"
            : "VXLAN encap: no tunnel";
    }
}

/// <summary>
/// vxlan4-input: UDP 4789 punted by ip4-local. Checks the VXLAN header (I flag), finds the tunnel by
/// (outer source, outer destination, VNI), strips the outer headers and hands the inner frame to
/// l2-input as received on the tunnel interface. Unknown tunnels/VNIs and truncated headers are counted and dropped.
/// A UDP GSO packet of VXLAN datagrams (what vxlan4-encap sends) is merged back into one TCP
/// super-frame when its datagrams carry one in-order TCP flow, else split into single datagrams.
/// </summary>
public sealed class VxlanInputNode : GraphNode
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
