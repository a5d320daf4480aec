using System.Diagnostics;
using System.Runtime.InteropServices;
using Contiv.Linux;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;
using Contiv.Linux.Interop;

namespace Contiv.Vpp.Interfaces;

/// <summary>
/// An AF_PACKET "host-interface" on an existing Linux link: a TPACKET_V2 receive ring (the kernel
/// writes frames into shared memory; one wake-up drains many frames without a syscall per packet)
/// with virtio-net headers so GSO super-frames and partial checksums survive; transmit is one send()
/// per frame with its virtio header (qdisc bypassed), on a worker queued on its io_uring so that one
/// system call sends the whole vector (as for TAPs). V2 rather than V3: V3 hands over whole blocks,
/// and a block with a few packets (TCP ACKs) waits for the 1 ms retire timer, which measured 2 ms of
/// added RTT per hop; V2 hands over every frame at once. Every frame holds a whole 64 KB GSO packet,
/// and the ring has <see cref="DataplaneOptions.AfPacketRxFrames"/> of them (68 KB each, all resident
/// from the moment the ring is mapped): at 7 Gbit/s of 32–64 KB UDP GSO packets (the overlay) a 64-frame
/// ring overflowed whenever the worker lost its CPU for a few milliseconds on a busy 2-core machine, and
/// TCP paid for every lost packet with retransmits; an idle node pays the whole ring in RSS.
/// The kernel's ring drops are read with PACKET_STATISTICS and shown by <c>show hardware-interfaces</c>.
/// <para>With several workers the interface has one socket (and ring) per worker, joined in one
/// PACKET_FANOUT_HASH group with a group id the kernel picks (unique in the namespace): the kernel hands
/// each frame to the member its symmetric flow hash selects, so a flow is received by one worker, in
/// order; socket q is polled by worker q, and a worker sends on its own socket.</para>
/// </summary>
public sealed unsafe class AfPacketDevice : Device
{
    private const int PACKET_RX_RING = 5;
    private const int PACKET_STATISTICS = 6;
    private const int PACKET_VERSION = 10;
    private const int PACKET_VNET_HDR = 15;
    private const int PACKET_QDISC_BYPASS = 20;
    private const int PACKET_IGNORE_OUTGOING = 23;
    private const int PACKET_FANOUT = 18;
    private const int PACKET_FANOUT_HASH = 0;
    private const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    private const int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;
    private const int SO_ATTACH_FILTER = 26;
    private const int SO_DETACH_FILTER = 27;
    private const int TPACKET_V2 = 1;
    private const uint TP_STATUS_USER = 1;
    private const int FrameSize = 17 * 4096; // 64 KB frame + virtio header + tpacket2 header
    private const int BlockSize = FrameSize;

    /// <summary>Fewest and most frames of a receive ring (<see cref="DataplaneOptions.AfPacketRxFrames"/>).</summary>
    public const int MinRxFrames = 8, MaxRxFrames = 4096;

    private readonly Dataplane _dp;
    // One per socket (fanout member), each touched only by its worker (and the control thread at the barrier).
    private readonly QueueState[] _queues;
    private readonly bool _vnet;
    private readonly InputNode _input;
    private readonly int _blocks;
    private long _ringPackets;
    private long _ringDrops;
    private readonly Lock _statsLock = new();

    /// <summary>A socket, its ring and the next frame to look at; 64 bytes apart so two workers share no cache line.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct QueueState
    {
        [FieldOffset(0)]
        public nint Ring;

        [FieldOffset(8)]
        public int Fd;

        [FieldOffset(12)]
        public int Block;
    }

    private AfPacketDevice(Dataplane dp, OpenResult opened, int blocks, string hostIfName)
    {
        _dp = dp;
        _blocks = blocks;
        _queues = new QueueState[opened.Fds.Length];
        for (var q = 0; q < _queues.Length; q++)
        {
            _queues[q] = new QueueState { Fd = opened.Fds[q], Ring = opened.Rings[q] };
        }

        _vnet = opened.Vnet;
        FanoutGroup = opened.FanoutGroup;
        HostIfName = hostIfName;
        _input = (InputNode)dp.Graph.Find(Dataplane.AfPacketInputNodeName)!;
    }

    /// <summary>Linux link name.</summary>
    public string HostIfName { get; }

    /// <summary>The packet socket of queue 0.</summary>
    public int Fd => _queues[0].Fd;

    /// <summary>The PACKET_FANOUT group id of the sockets (one per worker), or -1 with a single socket.</summary>
    public int FanoutGroup { get; }

    /// <inheritdoc />
    public override int RxFd => _queues[0].Fd;

    /// <inheritdoc />
    public override int RxQueueCount => _queues.Length;

    /// <inheritdoc />
    public override int QueueFd(int queue) => _queues[queue].Fd;

    /// <inheritdoc />
    public override string InputNodeName => Dataplane.AfPacketInputNodeName;

    /// <inheritdoc />
    public override string HardwareDescription
    {
        get
        {
            var (packets, drops) = RingStatistics();
            return (_vnet ? "Linux PACKET socket interface (TPACKET_V2, vnet hdr)" : "Linux PACKET socket interface (TPACKET_V2)")
                + (_queues.Length > 1 ? $"\n    fanout hash group {FanoutGroup}: {_queues.Length} sockets, one per worker" : string.Empty)
                + $"\n    rx ring {_blocks} frames of {FrameSize} bytes{(_queues.Length > 1 ? " per socket" : string.Empty)}: {packets} packets, {drops} dropped by the kernel (ring full)";
        }
    }

    /// <summary>
    /// Packets the kernel put into the receive ring and packets it dropped because the ring was full,
    /// since the socket was opened (PACKET_STATISTICS, which resets on every read, accumulated here).
    /// </summary>
    public (long Packets, long Drops) RingStatistics()
    {
        var st = stackalloc uint[2];
        var len = 8u;
        lock (_statsLock)
        {
            foreach (var q in _queues)
            {
                len = 8u;
                if (Libc.GetSockOpt(q.Fd, Libc.SOL_PACKET, PACKET_STATISTICS, st, &len) == 0)
                {
                    // tp_packets counts the dropped ones too.
                    _ringPackets += st[0] - st[1];
                    _ringDrops += st[1];
                }
            }

            return (_ringPackets, _ringDrops);
        }
    }

    /// <inheritdoc />
    public override bool SupportsOffload => _vnet;

    /// <summary>Opens the socket in the data plane's host namespace and binds it to <paramref name="hostIfName"/>.</summary>
    internal static AfPacketDevice Open(Dataplane dp, string hostIfName, out MacAddress mac, out int mtu)
    {
        using var ns = dp.Options.HostNamespace is { Length: > 0 } h ? NetworkNamespace.Open(h) : null;
        Link link;
        try
        {
            using var nl = ns is null ? RtNetlink.Open() : RtNetlink.Open(ns);
            link = nl.FindLink(hostIfName) ?? throw new DataplaneException($"host-{hostIfName}: Invalid interface name (no Linux link {hostIfName}{(ns is null ? string.Empty : " in " + ns.DisplayName)})", DataplaneError.NotFound);
            nl.SetLinkUp(link.Index);
        }
        catch (NetlinkException e)
        {
            throw new DataplaneException($"host-{hostIfName}: {e.Message}", DataplaneError.NotFound);
        }

        var hw = link.MacAddress?.GetAddressBytes();
        mac = hw is { Length: 6 } ? MacAddress.Read(hw) : MacAddress.Random02Fe();
        mtu = link.Mtu > 0 ? link.Mtu : 1500;
        var index = link.Index;
        var blocks = dp.Options.AfPacketRxFrames;
        if (blocks is < MinRxFrames or > MaxRxFrames)
        {
            throw new DataplaneException($"host-{hostIfName}: rx ring of {blocks} frames: must be {MinRxFrames}..{MaxRxFrames}", DataplaneError.Invalid);
        }

        // With a socket per worker the interface's ring depth is divided among them (each at least MinRxFrames),
        // so the resident ring memory of a node does not grow with its workers.
        var sockets = dp.Options.RxQueuesPerInterface;
        blocks = sockets > 1 ? Math.Max(MinRxFrames, (blocks + sockets - 1) / sockets) : blocks;
        var result = ns is null ? OpenSockets(index, blocks, sockets) : ns.Run(() => OpenSockets(index, blocks, sockets));
        if (result.Error is { } err)
        {
            throw new DataplaneException($"host-{hostIfName}: {err}");
        }

        return new AfPacketDevice(dp, result, blocks, hostIfName);
    }

    private sealed record OpenResult(int[] Fds, nint[] Rings, bool Vnet, int FanoutGroup, string? Error);

    /// <summary>
    /// Opens <paramref name="count"/> sockets on the link, each with its own ring; more than one are joined
    /// in one PACKET_FANOUT_HASH group (the first asks the kernel for an unused group id, the others join
    /// it). A later socket is bound with a drop-everything filter until it has joined, so no frame reaches
    /// two sockets while the group forms. All sockets are closed when any step fails.
    /// </summary>
    private static OpenResult OpenSockets(int ifindex, int blocks, int count)
    {
        var fds = new int[count];
        var rings = new nint[count];
        var vnet = true;
        var group = -1;
        for (var i = 0; i < count; i++)
        {
            var (fd, ring, v, error) = OpenSocket(ifindex, blocks, i == 0 ? null : group);
            if (error is null && i == 0 && count > 1)
            {
                error = CreateFanout(fd, out group);
                if (error is not null)
                {
                    Close(fd, ring, blocks);
                }
            }

            if (error is not null)
            {
                for (var j = 0; j < i; j++)
                {
                    Close(fds[j], rings[j], blocks);
                }

                return new OpenResult([], [], false, -1, error);
            }

            fds[i] = fd;
            rings[i] = ring;
            vnet &= v;
        }

        return new OpenResult(fds, rings, vnet, group, null);
    }

    private static void Close(int fd, nint ring, int blocks)
    {
        _ = Libc.Munmap((void*)ring, (nuint)BlockSize * (nuint)blocks);
        _ = Libc.Close(fd);
    }

    /// <summary>Makes <paramref name="fd"/> (bound) the first member of a new hash fanout group with a kernel-chosen id.</summary>
    private static string? CreateFanout(int fd, out int group)
    {
        group = -1;
        // Outgoing frames (the host's own sends on the link) are ignored by the group, as PACKET_IGNORE_OUTGOING
        // does for a single socket; kernels before 6.9 lack the flag and are asked without it.
        var arg = (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID | PACKET_FANOUT_FLAG_IGNORE_OUTGOING) << 16;
        if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_FANOUT, &arg, 4) != 0)
        {
            arg = (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
            if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_FANOUT, &arg, 4) != 0)
            {
                return Libc.IoError("PACKET_FANOUT (hash, unique id)").Message;
            }
        }

        int val;
        var len = 4u;
        if (Libc.GetSockOpt(fd, Libc.SOL_PACKET, PACKET_FANOUT, &val, &len) != 0)
        {
            return Libc.IoError("getsockopt PACKET_FANOUT").Message;
        }

        group = val & 0xffff;
        return null;
    }

    /// <summary>One socket with its ring, bound to the link; with <paramref name="joinGroup"/>, joined to that fanout group.</summary>
    private static (int Fd, nint Ring, bool Vnet, string? Error) OpenSocket(int ifindex, int blocks, int? joinGroup)
    {
        const ushort ethPAll = 0x0300; // htons(ETH_P_ALL)
        var fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, ethPAll);
        if (fd < 0)
        {
            return (-1, 0, false, Libc.IoError("socket(AF_PACKET)").Message);
        }

        int v = TPACKET_V2;
        if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_VERSION, &v, 4) != 0)
        {
            return Fail(fd, "PACKET_VERSION TPACKET_V2");
        }

        v = 1;
        var vnet = Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_VNET_HDR, &v, 4) == 0;
        _ = Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_QDISC_BYPASS, &v, 4);
        _ = Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, 4);
        var sndbuf = 4 << 20;
        _ = Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, &sndbuf, 4);

        // struct tpacket_req: block_size, block_nr, frame_size, frame_nr (one frame per block)
        var req = stackalloc uint[4];
        req[0] = BlockSize;
        req[1] = (uint)blocks;
        req[2] = FrameSize;
        req[3] = (uint)blocks;
        if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_RX_RING, req, 16) != 0)
        {
            return Fail(fd, "PACKET_RX_RING");
        }

        var ring = Libc.Mmap(null, (nuint)BlockSize * (nuint)blocks, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (ring == (void*)-1)
        {
            return Fail(fd, "mmap rx ring");
        }

        // Until it has joined the group a bound socket would get a copy of every frame: drop all (BPF "ret #0").
        var drop = stackalloc ulong[1];
        drop[0] = 0x06; // struct sock_filter { code = BPF_RET | BPF_K, jt = 0, jf = 0, k = 0 }
        var prog = stackalloc nint[2];
        prog[0] = 1; // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        prog[1] = (nint)drop;
        if (joinGroup is not null && Libc.SetSockOpt(fd, Libc.SOL_SOCKET, SO_ATTACH_FILTER, prog, 16) != 0)
        {
            _ = Libc.Munmap(ring, (nuint)BlockSize * (nuint)blocks);
            return Fail(fd, "SO_ATTACH_FILTER");
        }

        // struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr[8]
        var sll = stackalloc byte[20];
        new Span<byte>(sll, 20).Clear();
        *(ushort*)sll = Libc.AF_PACKET;
        *(ushort*)(sll + 2) = ethPAll;
        *(int*)(sll + 4) = ifindex;
        if (Libc.Bind(fd, sll, 20) != 0)
        {
            _ = Libc.Munmap(ring, (nuint)BlockSize * (nuint)blocks);
            return Fail(fd, "bind");
        }

        if (joinGroup is { } g)
        {
            // Same type and flags as the group's creator (without UNIQUEID, which only creates).
            var arg = g | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_IGNORE_OUTGOING) << 16);
            if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_FANOUT, &arg, 4) != 0)
            {
                arg = g | (PACKET_FANOUT_HASH << 16);
                if (Libc.SetSockOpt(fd, Libc.SOL_PACKET, PACKET_FANOUT, &arg, 4) != 0)
                {
                    _ = Libc.Munmap(ring, (nuint)BlockSize * (nuint)blocks);
                    return Fail(fd, $"PACKET_FANOUT join group {g}");
                }
            }

            // Frames that reached the socket before it joined were dropped by the filter, none is in the ring.
            var zero = 0;
            if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, SO_DETACH_FILTER, &zero, 4) != 0)
            {
                _ = Libc.Munmap(ring, (nuint)BlockSize * (nuint)blocks);
                return Fail(fd, "SO_DETACH_FILTER");
            }
        }

        return (fd, (nint)ring, vnet, null);
    }

    private static (int Fd, nint Ring, bool Vnet, string? Error) Fail(int fd, string what)
    {
        var e = Libc.IoError(what).Message;
        _ = Libc.Close(fd);
        return (-1, 0, false, e);
    }

    /// <inheritdoc />
    public override int Poll(WorkerContext ctx, int budget)
    {
        var pool = _dp.Buffers;
        var sw = Interface.SwIfIndex;
        var t0 = Stopwatch.GetTimestamp();
        var n = 0;
        ref var c = ref ctx.IfCounters[sw];
        var vnetLen = _vnet ? VirtioNetHeader.Size : 0;
        ref var queue = ref _queues[QueueOf(ctx)];
        var ring = (byte*)queue.Ring;
        while (n < budget)
        {
            var frame = ring + ((nint)queue.Block * FrameSize);
            // struct tpacket2_hdr: status, len, snaplen, mac(u16), net(u16), sec, nsec, vlan_tci, vlan_tpid
            var status = Volatile.Read(ref *(uint*)frame);
            if ((status & TP_STATUS_USER) == 0)
            {
                break;
            }

            var snap = (int)*(uint*)(frame + 8);
            var mac = *(ushort*)(frame + 12);
            if (snap < 14)
            {
                c.RxErrors++;
                ctx.CountError(_input.ShortError);
            }
            else
            {
                var b = ctx.Buffers.Alloc();
                if (b < 0)
                {
                    c.RxNoBuf++;
                    ctx.CountError(_input.NoBufferError);
                }
                else
                {
                    ref var m = ref pool.Meta(b);
                    var len = Math.Min(snap, BufferPool.DataSize);
                    new ReadOnlySpan<byte>(frame + mac, len).CopyTo(new Span<byte>(pool.Data(b), len));
                    m.CurrentLength = len;
                    m.RxSwIfIndex = sw;
                    if (vnetLen != 0)
                    {
                        VirtioNetHeader.Parse(frame + mac - vnetLen, ref m);
                    }

                    c.RxPackets++;
                    c.RxBytes += len;
                    if (ctx.TracingActive && ctx.TryStartTrace(_input.Index, b))
                    {
                        ctx.TraceRecord(b, Dataplane.AfPacketInputNodeName, $"af_packet: hw_if_index {Interface.HwIfIndex} next-index 0\n  tpacket2_hdr:\n    status 0x{status:x8} len {*(uint*)(frame + 4)} snaplen {snap} mac {mac} net {*(ushort*)(frame + 14)}");
                    }

                    ctx.Enqueue(_input.EthernetInput, b);
                    n++;
                }
            }

            Volatile.Write(ref *(uint*)frame, 0u);
            if (++queue.Block == _blocks)
            {
                queue.Block = 0;
            }
        }

        ctx.AccountInput(_input.Index, n, Stopwatch.GetTimestamp() - t0);
        return n;
    }

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var pool = _dp.Buffers;
        ref var m = ref pool.Meta(buffer);
        if (!_vnet && SoftwareOffload.Needed(ref m))
        {
            SoftwareOffload.Resolve(ctx, buffer, this);
            return;
        }

        var p = pool.Data(buffer);
        var len = m.CurrentLength;
        if (_vnet)
        {
            p -= VirtioNetHeader.Size;
            VirtioNetHeader.Write(p, ref m);
            len += VirtioNetHeader.Size;
        }

        // On a worker the send joins the vector's io_uring batch (a write on the non-blocking packet
        // socket is its send()): one system call for every packet the pass sent, on every device.
        // The calling worker's own socket (a fanout member sends like any packet socket).
        var fd = _queues[QueueOf(ctx)].Fd;
        if (ctx.TryQueueWrite(fd, p, len, buffer, Interface.SwIfIndex))
        {
            return;
        }

        while (true)
        {
            var r = Libc.Send(fd, p, (nuint)len, Libc.MSG_DONTWAIT);
            if (r >= 0 || Libc.LastErrno != Errno.EINTR)
            {
                if (r < 0)
                {
                    ctx.IfCounters[Interface.SwIfIndex].TxErrors++;
                }

                break;
            }
        }

        ctx.Buffers.Free(buffer);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        foreach (var q in _queues)
        {
            Close(q.Fd, q.Ring, _blocks);
        }
    }
}
