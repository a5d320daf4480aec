using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Interfaces;

/// <summary>
/// Software fallbacks for outputs that cannot take offloads: finishes partial L4 checksums and
/// segments TCP/IPv4 GSO super-frames into MSS-sized packets and UDP GSO (USO) packets into their
/// datagrams (the kernel's GSO, done by hand).
/// </summary>
public static unsafe class SoftwareOffload
{
    /// <summary>True when a buffer needs work before an output without offloads can send it.</summary>
    public static bool Needed(ref BufferMeta m) => m.Gso != GsoType.None || (m.Flags & BufferFlags.ChecksumPartial) != 0;

    /// <summary>
    /// Resolves offloads of <paramref name="buffer"/> (current data = Ethernet frame) and hands each
    /// resulting packet to <paramref name="device"/>'s <see cref="Device.Transmit"/>. Consumes the buffer.
    /// Returns false (and frees the buffer) when the packet cannot be handled (non-TCP GSO, bad headers).
    /// </summary>
    public static bool Resolve(WorkerContext ctx, int buffer, Device device)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(device);
        var pool = ctx.Dataplane.Buffers;
        ref var m = ref pool.Meta(buffer);
        if (m.Gso == GsoType.None)
        {
            FinishChecksum(pool, buffer);
            device.Transmit(ctx, buffer);
            return true;
        }

        var ok = m.Gso switch
        {
            GsoType.TcpV4 => SegmentTcp4(ctx, buffer, device),
            GsoType.UdpL4 => SegmentUdp4(ctx, buffer, device),
            _ => false,
        };
        if (!ok)
        {
            ctx.Buffers.Free(buffer);
            return false;
        }

        return true;
    }

    /// <summary>Computes a partial checksum in place (virtio NEEDS_CSUM semantics) and clears the flag.</summary>
    public static void FinishChecksum(BufferPool pool, int buffer)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ref var m = ref pool.Meta(buffer);
        if ((m.Flags & BufferFlags.ChecksumPartial) == 0)
        {
            return;
        }

        var frame = pool.Span(buffer);
        int start = m.CsumStart;
        var at = start + m.CsumOffset;
        if (at + 2 <= frame.Length)
        {
            var cs = Checksum.Compute(frame[start..]);
            BinaryPrimitives.WriteUInt16BigEndian(frame[at..], cs);
        }

        m.Flags = (m.Flags & ~BufferFlags.ChecksumPartial) | BufferFlags.ChecksumValid;
    }

    /// <summary>
    /// Segments a TCP/IPv4 GSO super-frame and enqueues every segment (no GSO, checksums complete) to
    /// graph node <paramref name="nodeIndex"/>. Consumes the buffer; false when it could not be segmented (freed).
    /// </summary>
    public static bool SegmentToNode(WorkerContext ctx, int buffer, int nodeIndex)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var pool = ctx.Dataplane.Buffers;
        if (pool.Meta(buffer).Gso != GsoType.TcpV4 || !SegmentTcp4(ctx, buffer, null, nodeIndex))
        {
            ctx.Buffers.Free(buffer);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Splits a UDP/IPv4 GSO packet into datagrams of gso_size payload bytes, each with a copy of the
    /// Ethernet/IPv4/UDP headers (lengths, IP ID and both checksums complete), and transmits them.
    /// </summary>
    private static bool SegmentUdp4(WorkerContext ctx, int buffer, Device device)
    {
        var pool = ctx.Dataplane.Buffers;
        ref var m = ref pool.Meta(buffer);
        var frame = pool.Span(buffer);
        const int l3 = 14;
        if (frame.Length < l3 + 20 || frame[l3 + 9] != 17)
        {
            return false;
        }

        var ihl = (frame[l3] & 15) * 4;
        var l4 = l3 + ihl;
        var hdrs = l4 + 8;
        var payload = frame.Length - hdrs;
        int size = m.GsoSize;
        if (ihl < 20 || size == 0 || payload < 0)
        {
            return false;
        }

        var id0 = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 4)..]);
        var src = BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 12)..]);
        var dst = BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 16)..]);
        var k = 0;
        for (var off = 0; off < payload; off += size, k++)
        {
            var chunk = Math.Min(size, payload - off);
            var seg = NewSegment(ctx, buffer, hdrs, off, chunk, (ushort)(id0 + k));
            if (seg < 0)
            {
                return false;
            }

            ref var sm = ref pool.Meta(seg);
            var s = new Span<byte>(pool.Data(seg), hdrs + chunk);
            BinaryPrimitives.WriteUInt16BigEndian(s[(l4 + 4)..], (ushort)(8 + chunk));
            s[l4 + 6] = 0;
            s[l4 + 7] = 0;
            var cs = Checksum.Compute(s[l4..], Checksum.PseudoHeader(src, dst, 17, 8 + chunk));
            BinaryPrimitives.WriteUInt16BigEndian(s[(l4 + 6)..], cs == 0 ? (ushort)0xffff : cs);
            sm.Flags |= BufferFlags.ChecksumValid;
            device.Transmit(ctx, seg);
        }

        ctx.Buffers.Free(buffer);
        return true;
    }

    /// <summary>
    /// A new buffer holding the Ethernet/IPv4/L4 headers (<paramref name="hdrs"/> bytes) of
    /// <paramref name="buffer"/> followed by payload bytes [<paramref name="off"/>, +<paramref name="chunk"/>),
    /// with the IPv4 total length, ID and header checksum of the segment; -1 when no buffer is free.
    /// </summary>
    private static int NewSegment(WorkerContext ctx, int buffer, int hdrs, int off, int chunk, ushort id)
    {
        const int l3 = 14;
        var pool = ctx.Dataplane.Buffers;
        var seg = ctx.Buffers.Alloc();
        if (seg < 0)
        {
            return -1;
        }

        ref var m = ref pool.Meta(buffer);
        ref var sm = ref pool.Meta(seg);
        sm.CurrentLength = hdrs + chunk;
        sm.RxSwIfIndex = m.RxSwIfIndex;
        sm.TxSwIfIndex = m.TxSwIfIndex;
        sm.FibIndex = m.FibIndex;
        var frame = pool.Span(buffer);
        var s = new Span<byte>(pool.Data(seg), hdrs + chunk);
        frame[..hdrs].CopyTo(s);
        frame.Slice(hdrs + off, chunk).CopyTo(s[hdrs..]);
        var ihl = (frame[l3] & 15) * 4;
        BinaryPrimitives.WriteUInt16BigEndian(s[(l3 + 2)..], (ushort)(hdrs - l3 + chunk));
        BinaryPrimitives.WriteUInt16BigEndian(s[(l3 + 4)..], id);
        s[l3 + 10] = 0;
        s[l3 + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(s[(l3 + 10)..], Checksum.Compute(s.Slice(l3, ihl)));
        return seg;
    }

    private static bool SegmentTcp4(WorkerContext ctx, int buffer, Device? device, int nodeIndex = -1)
    {
        var pool = ctx.Dataplane.Buffers;
        ref var m = ref pool.Meta(buffer);
        var frame = pool.Span(buffer);
        if (frame.Length < 14 + 20)
        {
            return false;
        }

        const int l3 = 14;
        var ihl = (frame[l3] & 15) * 4;
        var l4 = l3 + ihl;
        if (frame.Length < l4 + 20 || frame[l3 + 9] != 6)
        {
            return false;
        }

        var thl = (frame[l4 + 12] >> 4) * 4;
        var hdrs = l4 + thl;
        var payload = frame.Length - hdrs;
        int mss = m.GsoSize;
        // Header lengths come from the sender (a pod): segments are only cut from well-formed headers.
        if (ihl < 20 || thl < 20 || mss == 0 || payload < 0)
        {
            return false;
        }

        var id0 = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 4)..]);
        var seq0 = BinaryPrimitives.ReadUInt32BigEndian(frame[(l4 + 4)..]);
        var flags0 = frame[l4 + 13];
        var src = BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 12)..]);
        var dst = BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 16)..]);
        var k = 0;
        for (var off = 0; off < payload || (payload == 0 && k == 0); off += mss, k++)
        {
            var chunk = Math.Min(mss, payload - off);
            var seg = NewSegment(ctx, buffer, hdrs, off, chunk, (ushort)(id0 + k));
            if (seg < 0)
            {
                return false;
            }

            ref var sm = ref pool.Meta(seg);
            var s = new Span<byte>(pool.Data(seg), hdrs + chunk);
            BinaryPrimitives.WriteUInt32BigEndian(s[(l4 + 4)..], seq0 + (uint)off);
            var last = off + chunk >= payload;
            var fl = flags0;
            if (!last)
            {
                fl &= unchecked((byte)~0x09); // FIN, PSH only on the last segment
            }

            if (k > 0)
            {
                fl &= unchecked((byte)~0x80); // CWR only on the first
            }

            s[l4 + 13] = fl;
            s[l4 + 16] = 0;
            s[l4 + 17] = 0;
            var sum = Checksum.PseudoHeader(src, dst, 6, thl + chunk);
            BinaryPrimitives.WriteUInt16BigEndian(s[(l4 + 16)..], Checksum.Compute(s[l4..], sum));
            sm.Flags |= BufferFlags.ChecksumValid;
            if (device is not null)
            {
                device.Transmit(ctx, seg);
            }
            else
            {
                ctx.Enqueue(nodeIndex, seg);
            }

            if (payload == 0)
            {
                break;
            }
        }

        ctx.Buffers.Free(buffer);
        return true;
    }
}
