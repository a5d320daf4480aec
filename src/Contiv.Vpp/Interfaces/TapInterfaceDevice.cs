using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Contiv.Linux;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Linux.Interop;

namespace Contiv.Vpp.Interfaces;

/// <summary>
/// A TAP interface (VPP's tap v2): the data plane owns the <c>/dev/net/tun</c> fd, with virtio-net
/// headers and (by default) TSO/checksum offload so the kernel hands over and accepts 64 KB TCP
/// super-frames. Received frames are read straight into packet buffers, on a worker several per
/// io_uring submission (<see cref="WorkerContext.ReadBatch"/>), elsewhere one read() each; sent frames are written
/// straight from their buffers, on a worker queued on its io_uring so one system call writes the whole
/// vector (<see cref="WorkerContext"/>, <c>FlushTx</c>), elsewhere one write() each: no copies in user
/// space, no allocation.
/// <para>With several workers the TAP is multi-queue (IFF_MULTI_QUEUE, <see cref="DataplaneOptions.RxQueuesPerInterface"/>
/// queue fds, each with the same virtio header and offload settings): queue q is polled by worker q, and a
/// worker writes on its own queue. The kernel puts each frame it sends into the TAP on the queue its flow
/// hash selects (tun's automatic queue selection: the queue the data plane last wrote that flow's packets
/// on, else the symmetric flow hash scaled to the queue count), so a flow is read by one worker, in order.</para>
/// </summary>
public sealed unsafe class TapInterfaceDevice : Device
{
    // Writes retried on EAGAIN before the packet is dropped as tx-queue-full (spins of 128..2048 iterations).
    private const int TxFullRetries = 4;

    private readonly TapDevice _tap;
    private readonly NetworkNamespace? _home;
    private readonly string _hostIfName;
    private readonly Dataplane _dp;
    private readonly bool _offload;
    private readonly int _inputNode;
    private readonly int _ethernetInput;
    private readonly InputNode _input;
    // One per queue, each touched only by the queue's worker (and the control thread at the barrier).
    private readonly QueueState[] _queues;
    // Reads in the next batch (worker with io_uring): grows while batches come back full.
    private const int MinRxBatch = 2;

    /// <summary>A queue's fd and receive state; 64 bytes apart so two workers' queues share no cache line.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct QueueState
    {
        [FieldOffset(0)]
        public int Fd;

        // A buffer kept from the last read that returned nothing, or -1.
        [FieldOffset(4)]
        public int Spare;

        [FieldOffset(8)]
        public int RxBatch;
    }

    private TapInterfaceDevice(Dataplane dp, TapDevice tap, bool offload, string hostIfName, NetworkNamespace? home = null)
    {
        _dp = dp;
        _tap = tap;
        _home = home;
        _hostIfName = hostIfName;
        _offload = offload;
        _queues = new QueueState[tap.QueueHandles.Count];
        for (var q = 0; q < _queues.Length; q++)
        {
            _queues[q] = new QueueState { Fd = (int)tap.QueueHandles[q].DangerousGetHandle(), Spare = -1, RxBatch = MinRxBatch };
        }

        _input = (InputNode)dp.Graph.Find(Dataplane.TapInputNodeName)!;
        _inputNode = _input.Index;
        _ethernetInput = _input.EthernetInput;
    }

    /// <summary>The fd of queue 0.</summary>
    public int Fd => _queues[0].Fd;

    /// <inheritdoc />
    public override int RxFd => _queues[0].Fd;

    /// <inheritdoc />
    public override int RxQueueCount => _queues.Length;

    /// <summary>Buffers the queues keep for their next read (one per queue that has read; tests, at the barrier).</summary>
    internal int SpareBuffers
    {
        get
        {
            var n = 0;
            foreach (var q in _queues)
            {
                n += q.Spare >= 0 ? 1 : 0;
            }

            return n;
        }
    }

    /// <inheritdoc />
    public override int QueueFd(int queue) => _queues[queue].Fd;

    /// <inheritdoc />
    public override string InputNodeName => Dataplane.TapInputNodeName;

    /// <inheritdoc />
    public override string HardwareDescription => (_offload ? "VIRTIO interface (tap, gso + csum offload" : "VIRTIO interface (tap, no offload")
        + (_queues.Length > 1 ? $", multi-queue: {_queues.Length} queues)" : ")");

    /// <inheritdoc />
    public override bool SupportsOffload => _offload;

    /// <summary>
    /// Opens the TAP and configures its Linux side (MAC, MTU, address, gateway, up). A TAP for another
    /// namespace (a pod's) is created directly inside it under its final name: the kernel creates a tun
    /// netdev in the namespace of the thread that opens <c>/dev/net/tun</c>, so a dedicated thread that
    /// has entered the pod namespace opens it and configures the link over a netlink socket of that
    /// namespace, while the fd keeps working for the data plane wherever it runs. No temporary name in
    /// the host namespace, no namespace move (a move costs 20–50 ms of kernel time, synchronize_net).
    /// Only when the namespace cannot be entered, the TAP is created in the data plane's host namespace
    /// under a temporary name and moved and renamed into place, as before.
    /// </summary>
    internal static TapInterfaceDevice Open(Dataplane dp, TapSettings s, int mtu)
    {
        if (string.IsNullOrEmpty(s.HostIfName) || s.HostIfName.Length > 15)
        {
            throw new DataplaneException($"tap{s.Id}: invalid host-if-name '{s.HostIfName}' (1 to 15 characters)");
        }

        using var hostNs = dp.Options.HostNamespace is { Length: > 0 } h ? OpenNamespace(h) : null;
        using var targetNs = s.HostNamespace is { Length: > 0 } t ? OpenNamespace(t) : null;
        var elsewhere = targetNs is not null && (hostNs is null ? targetNs.Id != CurrentNamespaceId() : targetNs.Id != hostNs.Id);
        var options = new TapOptions
        {
            Name = s.HostIfName,
            VnetHeader = true,
            VnetHeaderSize = VirtioNetHeader.Size,
            Offloads = s.Gso ? TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn : TunOffloads.None,
            NonBlocking = true,
            Napi = dp.Options.TapNapi,
            Queues = dp.Options.RxQueuesPerInterface,
        };

        if (elsewhere)
        {
            var direct = TryOpenInside(targetNs!, options with { Exclusive = true }, s, mtu, dp.Options.TapTxQueueLength);
            if (direct is { } d)
            {
                return new TapInterfaceDevice(dp, d.Tap, s.Gso, s.HostIfName, d.Home);
            }
        }

        var createName = elsewhere ? $"cvtmp{Random.Shared.Next(0x100000, 0xffffff):x6}" : s.HostIfName;
        TapDevice tap;
        try
        {
            tap = TapDevice.Open(options with { Name = createName }, hostNs);
        }
        catch (Exception e) when (e is NetlinkException or IOException or UnauthorizedAccessException)
        {
            throw new DataplaneException($"tap{s.Id}: cannot create TAP {createName}: {e.Message}", DataplaneError.AlreadyExists);
        }

        try
        {
            if (elsewhere)
            {
                using var nl = hostNs is null ? RtNetlink.Open() : RtNetlink.Open(hostNs);
                nl.MoveLink(tap.InterfaceIndex, targetNs!, s.HostIfName);
            }

            var cfgNs = targetNs ?? hostNs;
            using (var nl = cfgNs is null ? RtNetlink.Open() : RtNetlink.Open(cfgNs))
            {
                ConfigureHostSide(nl, nl.GetLinkIndex(s.HostIfName), s, mtu, dp.Options.TapTxQueueLength);
            }

            return new TapInterfaceDevice(dp, tap, s.Gso, s.HostIfName);
        }
        catch (Exception e) when (e is NetlinkException or IOException or ArgumentException)
        {
            tap.Dispose();
            throw new DataplaneException($"tap{s.Id}: configuring host side {s.HostIfName}{(s.HostNamespace is { Length: > 0 } ns ? " in " + ns : string.Empty)} failed: {e.Message}");
        }
    }

    /// <summary>
    /// Creates and configures the TAP on one short-lived thread inside <paramref name="ns"/>, and
    /// returns it with a handle on exactly that namespace (for the delete; the path may be reused by
    /// another pod later); null when that thread cannot enter the namespace (the caller falls back to
    /// create-and-move).
    /// </summary>
    private static (TapDevice Tap, NetworkNamespace Home)? TryOpenInside(NetworkNamespace ns, TapOptions options, TapSettings s, int mtu, int txQueueLength)
    {
        try
        {
            return ns.Run<(TapDevice, NetworkNamespace)?>(() =>
            {
                TapDevice tap;
                try
                {
                    tap = TapDevice.Open(options);
                }
                catch (NetlinkException e)
                {
                    // EBUSY (exclusive create) or EINVAL (a non-TAP link): the name is taken in the pod.
                    throw new DataplaneException($"tap{s.Id}: cannot create TAP {s.HostIfName} in {ns.DisplayName}: {e.Message}", DataplaneError.AlreadyExists);
                }

                NetworkNamespace? home = null;
                try
                {
                    home = NetworkNamespace.OpenCurrent();
                    using var nl = RtNetlink.Open();
                    ConfigureHostSide(nl, tap.InterfaceIndex, s, mtu, txQueueLength);
                    return (tap, home);
                }
                catch (Exception e) when (e is NetlinkException or IOException or ArgumentException)
                {
                    home?.Dispose();
                    tap.Dispose();
                    throw new DataplaneException($"tap{s.Id}: configuring host side {s.HostIfName} in {ns.DisplayName} failed: {e.Message}");
                }
            });
        }
        catch (NetlinkException e) when (e.Operation == "netns enter")
        {
            return null;
        }
    }

    private static void ConfigureHostSide(RtNetlink nl, int index, TapSettings s, int mtu, int txQueueLength)
    {
        if (s.HostMac is { } mac)
        {
            nl.SetMacAddress(index, new PhysicalAddress(mac.ToBytes()));
        }

        var hostMtu = s.HostMtu > 0 ? s.HostMtu : mtu;
        nl.SetMtu(index, hostMtu);
        if (txQueueLength > 0)
        {
            nl.SetTxQueueLength(index, txQueueLength);
        }

        if (s.Gso)
        {
            nl.SetGsoMaxSize(index, TunnelGsoMaxSize(hostMtu));
        }

        if (s.HostUp || s.HostIp4 is not null)
        {
            nl.SetLinkUp(index);
        }

        if (s.HostIp4 is { } a)
        {
            nl.AddAddress(index, IPAddress.Parse(Ip4.Ip4Address.Format(a.Address)), a.Length);
        }

        if (s.HostIp4Gateway is { } gw)
        {
            nl.ReplaceRoute(new Route
            {
                Destination = new IPNetwork(IPAddress.Any, 0),
                Gateway = IPAddress.Parse(Ip4.Ip4Address.Format(gw)),
                OutputInterface = index,
            });
        }
    }

    /// <summary>
    /// The gso_max_size given to the Linux side of a GSO TAP: the largest TCP super-frame whose
    /// segments, each VXLAN-encapsulated (+8 VXLAN, +14 inner Ethernet, up to <paramref name="mtu"/>
    /// of IP), still fit one 64 KB UDP GSO packet behind one outer IPv4/UDP header (vxlan4-encap).
    /// With the kernel's default (64 KB) a super-frame needed two outer packets, the second carrying
    /// a single segment — a second send, ring frame and TAP write per 64 KB on the overlay. TCP keeps
    /// MAX_TCP_HEADER + 1 (321) bytes below it; segments carry at least mtu − 60 bytes of payload.
    /// 1450 → 61 481 bytes (44 segments of 1 398).
    /// </summary>
    public static int TunnelGsoMaxSize(int mtu)
    {
        var segments = (ushort.MaxValue - 28) / (8 + 14 + mtu);
        return Math.Clamp((segments * Math.Max(mtu - 60, 1)) + 321, 1500, 65536);
    }

    private static NetworkNamespace OpenNamespace(string nameOrPath)
    {
        try
        {
            return NetworkNamespace.Open(nameOrPath);
        }
        catch (Exception e) when (e is NetlinkException or IOException or ArgumentException)
        {
            throw new DataplaneException($"network namespace '{nameOrPath}' cannot be opened: {e.Message}", DataplaneError.NotFound);
        }
    }

    private static ulong CurrentNamespaceId()
    {
        using var cur = NetworkNamespace.OpenCurrent();
        return cur.Id;
    }

    /// <inheritdoc />
    public override int Poll(WorkerContext ctx, int budget)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.BatchesRx)
        {
            return PollBatched(ctx, budget);
        }

        var pool = _dp.Buffers;
        var sw = Interface.SwIfIndex;
        var t0 = Stopwatch.GetTimestamp();
        var n = 0;
        ref var c = ref ctx.IfCounters[sw];
        ref var queue = ref _queues[QueueOf(ctx)];
        var fd = queue.Fd;
        while (n < budget)
        {
            var b = queue.Spare;
            queue.Spare = -1;
            if (b < 0)
            {
                b = ctx.Buffers.Alloc();
                if (b < 0)
                {
                    c.RxNoBuf++;
                    ctx.CountError(_input.NoBufferError);
                    break;
                }
            }

            var start = pool.Start(b) + BufferPool.Headroom - VirtioNetHeader.Size;
            var r = Libc.Read(fd, start, (nuint)(BufferPool.DataSize + VirtioNetHeader.Size));
            if (r < VirtioNetHeader.Size + 14)
            {
                queue.Spare = b;
                if (r >= 0)
                {
                    c.RxErrors++;
                    ctx.CountError(_input.ShortError);
                    continue;
                }

                var errno = Libc.LastErrno;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno != Errno.EAGAIN)
                {
                    c.RxErrors++;
                    ctx.CountError(_input.ReadError);
                }

                break;
            }

            Accept(ctx, pool, ref c, b, start, (int)r);
            n++;
        }

        ctx.AccountInput(_inputNode, n, Stopwatch.GetTimestamp() - t0);
        return n;
    }

    /// <summary>
    /// Receive on a worker with io_uring: <see cref="QueueState.RxBatch"/> reads per system call
    /// (<see cref="WorkerContext.ReadBatch"/>), each into its own buffer, in order. A batch that came
    /// back full is followed by one twice the size; one that ran into EAGAIN ends the poll and sizes
    /// the next one to what it got plus one (the read that finds the queue empty is in the same call).
    /// </summary>
    private int PollBatched(WorkerContext ctx, int budget)
    {
        var pool = _dp.Buffers;
        var sw = Interface.SwIfIndex;
        var t0 = Stopwatch.GetTimestamp();
        var n = 0;
        ref var c = ref ctx.IfCounters[sw];
        var buffers = stackalloc int[WorkerContext.MaxRxBatch];
        var dest = stackalloc nint[WorkerContext.MaxRxBatch];
        ref var queue = ref _queues[QueueOf(ctx)];
        while (n < budget)
        {
            var count = Math.Min(queue.RxBatch, budget - n);
            var got = 0;
            for (; got < count; got++)
            {
                var b = queue.Spare;
                queue.Spare = -1;
                if (b < 0)
                {
                    b = ctx.Buffers.Alloc();
                    if (b < 0)
                    {
                        break;
                    }
                }

                buffers[got] = b;
                dest[got] = (nint)(pool.Start(b) + BufferPool.Headroom - VirtioNetHeader.Size);
            }

            if (got < count)
            {
                c.RxNoBuf++;
                ctx.CountError(_input.NoBufferError);
                count = got;
                if (count == 0)
                {
                    break;
                }
            }

            if (!ctx.ReadBatch(queue.Fd, dest, (uint)(BufferPool.DataSize + VirtioNetHeader.Size), count))
            {
                for (var i = 0; i < count; i++)
                {
                    ctx.Buffers.Free(buffers[i]);
                }

                break;
            }

            var results = ctx.RxResults;
            var frames = 0;
            var empty = false;
            for (var i = 0; i < count; i++)
            {
                var b = buffers[i];
                var r = results[i];
                if (r < VirtioNetHeader.Size + 14)
                {
                    if (r >= 0)
                    {
                        c.RxErrors++;
                        ctx.CountError(_input.ShortError);
                    }
                    else if (r == -Errno.EAGAIN || r == -Errno.EOPNOTSUPP)
                    {
                        // Queue empty (or no non-waiting reads on this kernel: the worker reads directly from now on).
                        empty = true;
                    }
                    else if (r != -Errno.EINTR)
                    {
                        c.RxErrors++;
                        ctx.CountError(_input.ReadError);
                        empty = true;
                    }

                    if (queue.Spare < 0)
                    {
                        queue.Spare = b;
                    }
                    else
                    {
                        ctx.Buffers.Free(b);
                    }

                    continue;
                }

                Accept(ctx, pool, ref c, b, (byte*)dest[i], r);
                frames++;
            }

            n += frames;
            if (empty || frames < count)
            {
                queue.RxBatch = Math.Clamp(frames + 1, MinRxBatch, WorkerContext.MaxRxBatch);
                break;
            }

            queue.RxBatch = Math.Min(queue.RxBatch * 2, WorkerContext.MaxRxBatch);
        }

        ctx.AccountInput(_inputNode, n, Stopwatch.GetTimestamp() - t0);
        return n;
    }

    /// <summary>
    /// A frame read into buffer <paramref name="b"/> (<paramref name="length"/> bytes from <paramref name="start"/>,
    /// the virtio-net header first): its metadata and the counters, a trace record when tracing, then ethernet-input.
    /// Shared by the one-read-per-frame and the batched receive paths.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Accept(WorkerContext ctx, BufferPool pool, ref InterfaceCounters c, int b, byte* start, int length)
    {
        ref var m = ref pool.Meta(b);
        m.CurrentLength = length - VirtioNetHeader.Size;
        m.RxSwIfIndex = Interface.SwIfIndex;
        VirtioNetHeader.Parse(start, ref m);
        c.RxPackets++;
        c.RxBytes += m.CurrentLength;
        if (ctx.TracingActive && ctx.TryStartTrace(_inputNode, b))
        {
            ctx.TraceRecord(b, Dataplane.TapInputNodeName,
                $"virtio: hw_if_index {Interface.HwIfIndex} next-index 0 vring 0 len {m.CurrentLength}\n  hdr: flags 0x{start[0]:x2} gso_type 0x{start[1]:x2} hdr_len {*(ushort*)(start + 2)} gso_size {m.GsoSize} csum_start {m.CsumStart} csum_offset {m.CsumOffset}");
        }

        ctx.Enqueue(_ethernetInput, b);
    }

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var pool = _dp.Buffers;
        ref var m = ref pool.Meta(buffer);
        if (!_offload && SoftwareOffload.Needed(ref m))
        {
            SoftwareOffload.Resolve(ctx, buffer, this);
            return;
        }

        var h = pool.Data(buffer) - VirtioNetHeader.Size;
        VirtioNetHeader.Write(h, ref m);
        // The calling worker's own queue: the kernel also learns from it which queue this flow's
        // packets in the other direction should go to (tun's flow table), i.e. to this worker.
        var fd = _queues[QueueOf(ctx)].Fd;
        if (ctx.TryQueueWrite(fd, h, m.CurrentLength + VirtioNetHeader.Size, buffer, Interface.SwIfIndex))
        {
            return;
        }

        var full = 0;
        while (true)
        {
            var r = Libc.Write(fd, h, (nuint)(m.CurrentLength + VirtioNetHeader.Size));
            if (r >= 0)
            {
                break;
            }

            var errno = Libc.LastErrno;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno == Errno.EAGAIN && ++full <= TxFullRetries)
            {
                // The kernel side is momentarily full (socket send buffer): give it a few µs to drain
                // rather than drop at once; a worker must not block, so the wait is bounded.
                Thread.SpinWait(64 << full);
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                ctx.IfCounters[Interface.SwIfIndex].TxQueueFull++;
            }
            else
            {
                ctx.IfCounters[Interface.SwIfIndex].TxErrors++;
            }

            break;
        }

        ctx.Buffers.Free(buffer);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_home is not null && Retire())
            {
                Closer.Enqueue(_tap, _home);
            }
            else
            {
                _tap.Dispose();
                _home?.Dispose();
            }

            for (var q = 0; q < _queues.Length; q++)
            {
                if (_queues[q].Spare >= 0)
                {
                    _dp.Buffers.FreeShared(_queues[q].Spare);
                    _queues[q].Spare = -1;
                }
            }
        }
    }

    /// <summary>
    /// Takes the TAP of a pod namespace out of service at once: link down and renamed to a temporary
    /// name (a ~1 ms netlink exchange in its namespace), so its name is free and no packet passes when
    /// the delete returns. Closing the fd, which unregisters the netdev, costs the kernel 15–30 ms (RCU
    /// grace periods) and is left to a background thread. False when that is not possible (the link
    /// was renamed, moved or deleted by someone else): the caller then closes it synchronously.
    /// </summary>
    private bool Retire()
    {
        try
        {
            var index = _tap.InterfaceIndex;
            var tmp = $"cvdel{Random.Shared.Next(0x100000, 0xffffff):x6}";
            _home!.Run(() =>
            {
                using var nl = RtNetlink.Open();
                if (nl.GetLink(index).Name != _hostIfName)
                {
                    throw new IOException($"link {index} is no longer {_hostIfName}");
                }

                nl.SetLinkDown(index);
                nl.RenameLink(index, tmp);
            });
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Closes retired TAP fds one after another on a dedicated thread (the kernel work is slow, not CPU-heavy).</summary>
    private static class Closer
    {
        private static readonly BlockingCollection<(TapDevice Tap, NetworkNamespace Home)> Queue = [];
        private static readonly Thread Worker = StartWorker();

        public static void Enqueue(TapDevice tap, NetworkNamespace home) => Queue.Add((tap, home));

        private static Thread StartWorker()
        {
            var t = new Thread(() =>
            {
                foreach (var (tap, home) in Queue.GetConsumingEnumerable())
                {
                    tap.Dispose();
                    home.Dispose();
                }
            })
            {
                IsBackground = true,
                Name = "tap-closer",
            };
            t.Start();
            return t;
        }
    }
}
