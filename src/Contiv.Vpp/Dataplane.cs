using System.Diagnostics;
using Contiv.Vpp.Arp;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Contiv.Vpp;

/// <summary>Settings of a data plane instance.</summary>
public sealed record DataplaneOptions
{
    /// <summary>Worker threads polling devices (at least 1).</summary>
    public int Workers { get; init; } = Math.Min(2, Environment.ProcessorCount);

    /// <summary>Packet buffers in the arena.</summary>
    public int Buffers { get; init; } = 16384;

    /// <summary>
    /// Microseconds a worker keeps polling (non-blocking) after traffic before it sleeps. Short on
    /// purpose: about one sleep/wake-up's cost, so a spin never costs much more CPU than the wake-up it
    /// may save (a 50 µs spin cost 20–25 % more CPU per GB of TCP: performance.md, helper s6pps).
    /// </summary>
    public int SpinMicroseconds { get; init; } = DefaultSpinMicroseconds;

    /// <summary>Default of <see cref="SpinMicroseconds"/>.</summary>
    public const int DefaultSpinMicroseconds = 5;

    /// <summary>While spinning after traffic, yield the CPU (sched_yield) after every empty poll.</summary>
    public bool SpinYield { get; init; }

    /// <summary>Open TAPs with IFF_NAPI (frames written are received through NAPI/GRO in softirq).</summary>
    public bool TapNapi { get; init; }

    /// <summary>
    /// Transmit queue length given to the Linux side of every TAP (frames the kernel holds for the
    /// worker's reads before it drops); 0 = the kernel's default (500). A worker that is not running
    /// when a burst arrives (2 cores shared with the pods) loses whatever does not fit.
    /// </summary>
    public int TapTxQueueLength { get; init; }

    /// <summary>
    /// With more than one worker, every TAP is opened multi-queue (IFF_MULTI_QUEUE, one queue fd per
    /// worker) and every AF_PACKET interface gets one socket per worker in a PACKET_FANOUT_HASH group, so
    /// one interface's flows are spread over all workers by the kernel's flow hash (each flow stays on
    /// one worker). False (the default): one queue per interface, interfaces given to workers round robin.
    /// Off by default: different flows of one interface may then be handled out of order by different workers,
    /// which NAT44 port reuse does not survive (a client's RST of one service connection overtaken by its SYN
    /// to another service on the same port, both translating to one backend tuple; docs/dataplane.md, "Threads").
    /// </summary>
    public bool MultiQueue { get; init; }

    /// <summary>Receive queues of a TAP or AF_PACKET interface: one per worker with <see cref="MultiQueue"/>, else 1.</summary>
    public int RxQueuesPerInterface => MultiQueue && Workers > 1 ? Workers : 1;

    /// <summary>Busy-poll instead of sleeping in epoll (burns a core per worker).</summary>
    public bool PollMode { get; init; }

    /// <summary>
    /// Workers queue TAP writes on an io_uring and submit a whole vector's writes with one system call
    /// (falls back to one write() per packet when the kernel has no io_uring). False: write() per packet.
    /// </summary>
    public bool BatchTx { get; init; } = true;

    /// <summary>
    /// Frames (68 KB each, one whole GSO packet) of an AF_PACKET interface's receive ring. The kernel's ring
    /// pages are resident in the process from the moment the ring is mapped, busy or idle: 64 frames are
    /// 4.4 MB, 256 are 17.4 MB. A deeper ring rides out longer worker stalls at multi-Gbit/s overlay traffic; 64
    /// forwarded overlay TCP as fast as 256 (docs/performance.md, issue 21 RSS) and keep an idle vSwitch 13 MB smaller.
    /// </summary>
    public int AfPacketRxFrames { get; init; } = DefaultAfPacketRxFrames;

    /// <summary>Default of <see cref="AfPacketRxFrames"/>.</summary>
    public const int DefaultAfPacketRxFrames = 64;

    /// <summary>
    /// TAP reads go through the same io_uring: several frames per system call, sized from the previous
    /// batch (needs <see cref="BatchTx"/>). On by default since 2026-12-07 evening (contiv-vpp CPU per
    /// 64-byte packet 7–12 % lower, docs/performance.md); false: one read() per frame plus one answered EAGAIN.
    /// </summary>
    public bool BatchRx { get; init; } = true;

    /// <summary>Dynamic ARP entries older than this are removed.</summary>
    public TimeSpan ArpAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The node's host network namespace (name or path) where TAPs and AF_PACKET sockets are opened; null = our own.</summary>
    public string? HostNamespace { get; init; }

    /// <summary>NAT44 session table capacity (allocated when NAT is first configured; ≈ 241 bytes per session).</summary>
    public int NatMaxSessions { get; init; } = 65536;

    /// <summary>Dynamic (learned or unresolved) neighbours per interface; static entries are not counted.</summary>
    public int MaxNeighborsPerInterface { get; init; } = 1024;

    /// <summary>Buffers that may wait for ARP over all neighbours; null = 1/16 of <see cref="Buffers"/>.</summary>
    public int? MaxArpQueuedBuffers { get; init; }

    /// <summary>ICMP errors (time exceeded, unreachable) each thread may send per second, sustained.</summary>
    public int IcmpErrorsPerSecond { get; init; } = 1000;

    /// <summary>ICMP errors each thread may send back to back before <see cref="IcmpErrorsPerSecond"/> applies.</summary>
    public int IcmpErrorBurst { get; init; } = 100;

    /// <summary>Clock of rate limiters (tests inject a fake one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>A node that throws is logged at most once per this interval (the rest are counted).</summary>
    public TimeSpan NodeFailureLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Logger factory.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Registers additional graph nodes and features (<see cref="NodeGraph.Add"/>,
    /// <see cref="NodeGraph.AddFeature"/>) after the built-in ones, before the graph is wired. Tests use it.
    /// </summary>
    public Action<Dataplane>? ExtendGraph { get; init; }
}

/// <summary>Change of an interface reported to watchers.</summary>
public enum InterfaceChange
{
    /// <summary>State changed.</summary>
    Changed,
    /// <summary>Created.</summary>
    Created,
    /// <summary>Deleted.</summary>
    Deleted,
}

/// <summary>
/// One data plane instance (VPP's vlib_main + vnet_main): the buffer arena, the node graph, the
/// interfaces, FIBs, neighbours and worker threads, plus the control operations the API and CLI call.
/// <para>Threading: control operations are serialized by a control lock and run at the worker barrier
/// (all workers parked between graph iterations), so data-path structures are read without locks.</para>
/// </summary>
public sealed partial class Dataplane : IDisposable
{
    private readonly Lock _control = new();
    private readonly List<Worker> _workers = [];
    private readonly ILogger _log;
    private int _barrierRequests;
    private int _nextWorker;
    private bool _started;
    private bool _disposed;
    private readonly ManualResetEventSlim _ageStop = new(false, spinCount: 0);
    private Thread? _ager;

    /// <summary>Creates the data plane: arena, graph (wired), local0 and table 0. Call <see cref="Start"/> to run workers.</summary>
    public Dataplane(DataplaneOptions? options = null)
    {
        Options = options ?? new DataplaneOptions();
        if (Options.Workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.Workers, "workers must be at least 1");
        }

        _log = Options.LoggerFactory.CreateLogger("Contiv.Vpp.Dataplane");
        StartTicks = Stopwatch.GetTimestamp();
        StartTime = DateTimeOffset.UtcNow;
        Buffers = new BufferPool(Options.Buffers);
        Graph = new NodeGraph();
        Neighbors = new NeighborTable
        {
            InterfaceMac = sw => Interface(sw)?.Mac ?? MacAddress.Zero,
            MaxDynamicPerInterface = Options.MaxNeighborsPerInterface,
            MaxPendingBuffers = Options.MaxArpQueuedBuffers ?? Math.Max(NeighborTable.MaxPending, Options.Buffers / 16),
        };
        RegisterNodes();
        Options.ExtendGraph?.Invoke(this);
        Graph.Start();
        ErrorDropIndex = Graph.IndexOf(ErrorDropNode.NodeName);
        UdpPuntNodes[4789] = Graph.IndexOf(Vxlan.VxlanInputNode.NodeName);
        Main = new WorkerContext(this, 0, "vpp_main");
        for (var i = 0; i < Options.Workers; i++)
        {
            _workers.Add(new Worker(this, new WorkerContext(this, i + 1, $"vpp_wk_{i}"), Options.PollMode, Options.SpinMicroseconds));
        }

        var fib0 = new FibTable(0, 0, "ipv4-VRF:0");
        _fibs.Add(fib0);
        FibArray = [fib0];
        var local0 = new SwInterface(0, "local0", InterfaceKind.Local) { Mac = MacAddress.Zero, Mtu = 0 };
        _interfaces.Add(local0);
        InterfaceArray = [local0];
    }

    /// <summary>Settings.</summary>
    public DataplaneOptions Options { get; }

    /// <summary>Packet buffer arena.</summary>
    public BufferPool Buffers { get; }

    /// <summary>The node graph.</summary>
    public NodeGraph Graph { get; }

    /// <summary>Neighbours and adjacencies.</summary>
    public NeighborTable Neighbors { get; }

    /// <summary>The control thread's context (thread 0), used at the barrier for injected packets.</summary>
    public WorkerContext Main { get; }

    /// <summary>All thread contexts (main first).</summary>
    public IEnumerable<WorkerContext> Contexts
    {
        get
        {
            yield return Main;
            foreach (var w in _workers)
            {
                yield return w.Context;
            }
        }
    }

    /// <summary>Index of error-drop.</summary>
    public int ErrorDropIndex { get; }

    /// <summary>Stopwatch timestamp at creation (trace and runtime clocks).</summary>
    public long StartTicks { get; }

    /// <summary>Wall-clock creation time.</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>Interfaces by sw_if_index (lock-free read; replaced on growth at the barrier).</summary>
    public SwInterface?[] InterfaceArray { get; private set; }

    /// <summary>FIB tables by FIB index (lock-free read).</summary>
    public FibTable?[] FibArray { get; private set; }

    /// <summary>Node index per UDP destination port for packets to our own addresses (0 = none).</summary>
    public int[] UdpPuntNodes { get; } = new int[65536];

    /// <summary>True when the control thread wants the workers parked.</summary>
    internal bool BarrierRequested => Volatile.Read(ref _barrierRequests) != 0;

    /// <summary>Raised (on the control thread) when an interface is created, deleted or changes state.</summary>
    public event Action<SwInterface, InterfaceChange>? InterfaceChanged;

    /// <summary>True once workers run, until disposal or a worker failure.</summary>
    public bool Running => _started && !_disposed && WorkerFailure is null;

    /// <summary>The first exception that ended a worker thread, or null.</summary>
    public Exception? WorkerFailure { get; private set; }

    /// <summary>
    /// Raised on the failing worker's thread when a worker stops because epoll_wait failed (after it is
    /// logged; a node that throws only costs its vector, see <see cref="NodeFailures"/>). That worker's interfaces are no longer served; the owner should shut down.
    /// </summary>
    public event Action<string, Exception>? WorkerFailed;

    /// <summary>Number of worker threads.</summary>
    public int WorkerCount => _workers.Count;

    /// <summary>
    /// Buffers neither on the shared free stack nor in a thread's cache: packets queued in the data plane
    /// (ARP resolution queues, device queues) plus any leak. Taken at the barrier, so no packet is
    /// mid-graph; with nothing queued it must be 0 (tests assert it after traffic).
    /// </summary>
    public int BuffersInUse() => Exclusive(() =>
    {
        var cached = 0;
        foreach (var ctx in Contexts)
        {
            cached += ctx.Buffers.Cached;
        }

        return Buffers.Count - Buffers.FreeCount - cached;
    });

    /// <summary>Starts the worker threads and the ARP ager.</summary>
    public void Start()
    {
        lock (_control)
        {
            if (_started)
            {
                return;
            }

            foreach (var w in _workers)
            {
                w.Start();
            }

            _started = true;
            // The ager's own thread sleeps a second between rounds: one wake-up a second instead of the timer thread
            // handing a work item to a thread-pool worker (which spins before it sleeps again) every second.
            _ager = new Thread(AgeLoop) { Name = "vpp-ager", IsBackground = true };
            _ager.Start();
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> with every worker parked (VPP's worker barrier) and the control
    /// lock held. Nested calls on the control thread are fine.
    /// </summary>
    public T Exclusive<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_control)
        {
            Interlocked.Increment(ref _barrierRequests);
            var entered = 0;
            try
            {
                foreach (var w in _workers)
                {
                    w.Gate.Enter();
                    entered++;
                }

                return action();
            }
            finally
            {
                for (var i = entered - 1; i >= 0; i--)
                {
                    _workers[i].Gate.Exit();
                }

                Interlocked.Decrement(ref _barrierRequests);
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> at the barrier.</summary>
    public void Exclusive(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Exclusive(() =>
        {
            action();
            return 0;
        });
    }

    private void RegisterNodes()
    {
        Graph.Add(new ErrorDropNode(), this);
        Graph.Add(new InterfaceOutputNode(), this);
        Graph.Add(new EthernetInputNode(), this);
        Graph.Add(new ArpInputNode(), this);
        Graph.Add(new Ip4InputNode(), this);
        Graph.Add(new Ip4LookupNode(), this);
        Graph.Add(new Ip4RewriteNode(), this);
        Graph.Add(new Ip4ArpNode(), this);
        Graph.Add(new Ip4LocalNode(), this);
        Graph.Add(new IcmpErrorNode(), this);
        Graph.Add(new L2.L2InputNode(), this);
        Graph.Add(new Vxlan.VxlanEncapNode(), this);
        Graph.Add(new Vxlan.VxlanInputNode(), this);
        // The source check sees the packet as the pod sent it: before any input feature that rewrites it.
        Graph.Add(new Ip4SourceCheckNode(), this);
        Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, Ip4SourceCheckNode.NodeName) { RunsBefore = [Nat.Nat44Out2InNode.NodeName] });
        Acl.AclFeatureNode.Register(this);
        Nat.Nat44Out2InNode.Register(this);
        Nat.Nat44In2OutNode.Register(this);
        Graph.Add(new Stn.StnIp4PuntNode(), this);
        Graph.Add(new InputNode(TapInputNodeName), this);
        Graph.Add(new InputNode(AfPacketInputNodeName), this);
        Graph.Add(new InputNode(PgInputNodeName), this);
    }

    /// <summary>Input node of TAP interfaces.</summary>
    public const string TapInputNodeName = "tap-input";

    /// <summary>Input node of AF_PACKET interfaces.</summary>
    public const string AfPacketInputNodeName = "af-packet-input";

    /// <summary>Input node of packet-generator interfaces (tests).</summary>
    public const string PgInputNodeName = "pg-input";

    internal void OnWorkerFailed(Worker worker, Exception e)
    {
        WorkerFailure ??= e;
        _log.LogCritical(e, "worker {Worker} stopped: {Reason}", worker.Context.Name, e.Message);
        try
        {
            WorkerFailed?.Invoke(worker.Context.Name, e);
        }
        catch (Exception handlerError) when (handlerError is not OutOfMemoryException)
        {
            _log.LogError(handlerError, "worker failure handler failed");
        }
    }

    /// <summary>Tests: makes worker <paramref name="index"/>'s next epoll_wait fail.</summary>
    internal void InjectEpollFailure(int index) => _workers[index].InjectEpollFailure();

    private void RaiseInterfaceChanged(SwInterface intf, InterfaceChange change)
    {
        try
        {
            InterfaceChanged?.Invoke(intf, change);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogWarning(e, "interface watcher failed for {Interface}", intf.Name);
        }
    }

    private void AgeLoop()
    {
        while (!_ageStop.Wait(1000))
        {
            AgeNeighbors();
        }
    }

    private void AgeNeighbors()
    {
        if (_disposed)
        {
            return;
        }

        var released = new List<int>();
        lock (Neighbors.Lock)
        {
            Neighbors.Age(Options.ArpAge, released);
        }

        foreach (var b in released)
        {
            Buffers.FreeShared(b);
        }

        AgeL2Fib();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_control)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _ageStop.Set();
        if (_ager is { } ager && ager != Thread.CurrentThread)
        {
            ager.Join();
        }

        _ageStop.Dispose();
        foreach (var w in _workers)
        {
            w.Dispose();
        }

        foreach (var intf in _interfaces)
        {
            intf?.Device?.Dispose();
        }

        Buffers.Dispose();
    }
}

