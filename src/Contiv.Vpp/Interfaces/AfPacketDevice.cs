using System.Diagnostics;
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
/// </summary>
public sealed unsafe class AfPacketDevice : Device
{
    private const int PACKET_RX_RING = 5;
    private const int PACKET_STATISTICS = 6;
    private const int PACKET_VERSION = 10;
    private const int PACKET_VNET_HDR = 15;
    private const int PACKET_QDISC_BYPASS = 20;
    private const int PACKET_IGNORE_OUTGOING = 23;
    private const int TPACKET_V2 = 1;
    private const uint TP_STATUS_USER = 1;
    private const int FrameSize = 17 * 4096; // 64 KB frame + virtio header + tpacket2 header
    private const int BlockSize = FrameSize;

    /// <summary>Fewest and most frames of a receive ring (<see cref="DataplaneOptions.AfPacketRxFrames"/>).</summary>
    public const int MinRxFrames = 8, MaxRxFrames = 4096;

    private readonly Dataplane _dp;
    private readonly int _fd;
    private readonly byte* _ring;
    private readonly bool _vnet;
    private readonly InputNode _input;
    private readonly int _blocks;
    private int _block;
    private long _ringPackets;
    private long _ringDrops;
    private readonly Lock _statsLock = new();

    private AfPacketDevice(Dataplane dp, int fd, byte* ring, int blocks, bool vnet, string hostIfName)
    {
        _dp = dp;
        _blocks = blocks;
        _fd = fd;
        _ring = ring;
        _vnet = vnet;
        HostIfName = hostIfName;
        _input = (InputNode)dp.Graph.Find(Dataplane.AfPacketInputNodeName)!;
    }

    /// <summary>Linux link name.</summary>
    public string HostIfName { get; }

    /// <summary>The packet socket.</summary>
    public int Fd => _fd;

    /// <inheritdoc />
    public override int RxFd => _fd;

    /// <inheritdoc />
    public override string InputNodeName => Dataplane.AfPacketInputNodeName;

    /// <inheritdoc />
    public override string HardwareDescription
    {
        get
        {
            var (packets, drops) = RingStatistics();
            return (_vnet ? "Linux PACKET socket interface (TPACKET_V2, vnet hdr)" : "Linux PACKET socket interface (TPACKET_V2)")
                + $"\n    rx ring {_blocks} frames of {FrameSize} bytes: {packets} packets, {drops} dropped by the kernel (ring full)";
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
            if (Libc.GetSockOpt(_fd, Libc.SOL_PACKET, PACKET_STATISTICS, st, &len) == 0)
            {
                // tp_packets counts the dropped ones too.
                _ringPackets += st[0] - st[1];
                _ringDrops += st[1];
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

        var result = ns is null ? OpenSocket(index, blocks) : ns.Run(() => OpenSocket(index, blocks));
        if (result.Error is { } err)
        {
            throw new DataplaneException($"host-{hostIfName}: {err}");
        }

        return new AfPacketDevice(dp, result.Fd, (byte*)result.Ring, blocks, result.Vnet, hostIfName);
    }

    private readonly record struct OpenResult(int Fd, nint Ring, bool Vnet, string? Error);

    private static OpenResult OpenSocket(int ifindex, int blocks)
    {
        const ushort ethPAll = 0x0300; // htons(ETH_P_ALL)
        var fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, ethPAll);
        if (fd < 0)
        {
            return new OpenResult(-1, 0, false, Libc.IoError("socket(AF_PACKET)").Message);
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

        return new OpenResult(fd, (nint)ring, vnet, null);
    }

    private static OpenResult Fail(int fd, string what)
    {
        var e = Libc.IoError(what).Message;
        _ = Libc.Close(fd);
        return new OpenResult(-1, 0, false, e);
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
        while (n < budget)
        {
            var frame = _ring + ((nint)_block * FrameSize);
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
            if (++_block == _blocks)
            {
                _block = 0;
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
        if (ctx.TryQueueWrite(_fd, p, len, buffer, Interface.SwIfIndex))
        {
            return;
        }

        while (true)
        {
            var r = Libc.Send(_fd, p, (nuint)len, Libc.MSG_DONTWAIT);
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
        _ = Libc.Munmap(_ring, (nuint)BlockSize * (nuint)_blocks);
        _ = Libc.Close(_fd);
    }
}
