using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Vxlan;

/// <summary>
/// vxlan4-encap: prepends outer IPv4/UDP(4789)/VXLAN headers (the Ethernet header follows from
/// ip4-lookup/ip4-rewrite in the tunnel's encap VRF). The UDP source port is a hash of the inner
/// flow (49152–65535) so the underlay can spread flows. TCP GSO super-frames are segmented first
/// (the outer packet must stay below 64 KB and the underlay cannot segment a tunnel); a partial
/// inner checksum on a single packet is left to the output device (csum_start moves with the headers).
/// </summary>
public sealed class VxlanEncapNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "vxlan4-encap";

    /// <summary>Outer IPv4 + UDP + VXLAN bytes.</summary>
    public const int OuterLength = 20 + 8 + 8;

    private const int NextLookup = 0;

    private const int ErrEncapsulated = 0;
    private const int ErrNoTunnel = 1;
    private const int ErrSegmentFailed = 2;

    /// <summary>Creates the node.</summary>
    public VxlanEncapNode()
        : base(NodeName, NodeKind.Internal, ["ip4-lookup"], ["packets encapsulated", "no tunnel on tx interface", "GSO segmentation failed"])
    {
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
                ctx.Drop(b, Error(ErrNoTunnel));
                continue;
            }

            if (m.Gso != GsoType.None)
            {
                if (!SoftwareOffload.SegmentToNode(ctx, b, Index))
                {
                    ctx.CountError(Error(ErrSegmentFailed));
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
            h[0] = 0x45;
            h[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)(OuterLength + innerLen));
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
            BinaryPrimitives.WriteUInt16BigEndian(h[24..], (ushort)(16 + innerLen));
            BinaryPrimitives.WriteUInt16BigEndian(h[26..], 0);
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
            ctx.CountError(Error(ErrEncapsulated));
            ctx.Enqueue(Next(NextLookup), b);
        }
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
/// </summary>
public sealed class VxlanInputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "vxlan4-input";

    private const int NextL2 = 0;

    private const int ErrDecapsulated = 0;
    private const int ErrNoTunnel = 1;
    private const int ErrTruncated = 2;
    private const int ErrBadFlags = 3;
    private const int ErrNotBridged = 4;
    private const int ErrDown = 5;

    /// <summary>Creates the node.</summary>
    public VxlanInputNode()
        : base(NodeName, NodeKind.Internal, ["l2-input"],
            ["packets decapsulated", "no such tunnel (unknown source VTEP or VNI)", "VXLAN header or inner frame truncated", "VXLAN I flag not set", "tunnel not in a bridge domain", "tunnel is down"])
    {
    }

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var tunnels = Dataplane.VxlanLookup;
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var p = Pool.Data(b);
            var ihl = (p[0] & 15) << 2;
            var outer = ihl + 16;
            if (m.CurrentLength < outer + 14)
            {
                ctx.Drop(b, Error(ErrTruncated));
                continue;
            }

            var vx = p + ihl + 8;
            if ((vx[0] & 0x08) == 0)
            {
                ctx.Drop(b, Error(ErrBadFlags));
                continue;
            }

            var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 12, 4));
            var dst = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + 16, 4));
            var vni = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(vx + 4, 4)) >> 8;
            if (!tunnels.TryGetValue((src, dst, vni), out var sw))
            {
                ctx.Drop(b, Error(ErrNoTunnel));
                continue;
            }

            var intf = ifs[sw]!;
            if (!intf.AdminUp)
            {
                ctx.Drop(b, Error(ErrDown));
                continue;
            }

            if (intf.BridgeDomain < 0)
            {
                ctx.Drop(b, Error(ErrNotBridged));
                continue;
            }

            // Strip: what was relative to the outer L2 header is now relative to the inner one.
            var strip = 14 + outer;
            if ((m.Flags & BufferFlags.ChecksumPartial) != 0)
            {
                m.CsumStart = (ushort)Math.Max(0, m.CsumStart - strip);
            }

            m.CurrentData += outer;
            m.CurrentLength -= outer;
            m.RxSwIfIndex = sw;
            m.L2Offset = m.CurrentData;
            ref var c = ref ctx.IfCounters[sw];
            c.RxPackets++;
            c.RxBytes += m.CurrentLength;
            ctx.CountError(Error(ErrDecapsulated));
            ctx.Enqueue(Next(NextL2), b);
        }
    }

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
