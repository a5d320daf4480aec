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
internal sealed class VxlanEncapNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "vxlan4-encap";

    private readonly NextSlot _nextLookup;
    private readonly ErrorSlot _errEncapsulated;
    private readonly ErrorSlot _errNoTunnel;
    private readonly ErrorSlot _errSegmentFailed;
    private readonly ErrorSlot _errGsoEncapsulated;
    private readonly ErrorSlot _errNoBuffer;
    private readonly ErrorSlot _errHeadroom;

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
        _errHeadroom = AddError("no buffer headroom for the outer headers");
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

            if (m.CurrentData < OuterLength + 14)
            {
                // Outer headers plus the Ethernet header ip4-rewrite adds must fit in front of the frame
                // (a packet looping through tunnels would otherwise write before its buffer).
                ctx.Drop(b, Error(_errHeadroom));
                continue;
            }

            var t = dev.Tunnel;
            var inner = Pool.Data(b);
            var innerLen = m.CurrentLength;
            var sport = (ushort)(49152 | (FlowHash(inner, innerLen) & 0x3fff));
            m.CurrentData -= OuterLength;
            m.CurrentLength += OuterLength;
            var h = new Span<byte>(Pool.Data(b), OuterLength);
            WriteOuter(h, t, sport, OuterLength + innerLen, OuterTtl(inner, innerLen));
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
            WriteOuter(h, t, sport, pos, OuterTtl(inner, len));
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

    /// <summary>
    /// Outer TTL: the inner IPv4 TTL (already decremented by the routed hop that sent the frame into the
    /// tunnel), so a loop through tunnels expires as the inner packet would; 254 for non-IPv4 frames.
    /// </summary>
    internal static unsafe byte OuterTtl(byte* frame, int len)
        => len >= 14 + 20 && frame[12] == 0x08 && frame[13] == 0x00 ? frame[14 + 8] : (byte)254;

    /// <summary>Outer IPv4 (no options, TTL <paramref name="ttl"/>, DF clear) + UDP to 4789 for a packet of <paramref name="total"/> bytes from the IP header on.</summary>
    private static void WriteOuter(Span<byte> h, VxlanTunnel t, ushort sport, int total, byte ttl)
    {
        h[0] = 0x45;
        h[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)total);
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], 0);
        h[8] = ttl;
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
