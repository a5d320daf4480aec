using System.Diagnostics;
using System.Runtime.CompilerServices;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Trace;

namespace Contiv.Vpp.Graph;

/// <summary>Per-node, per-thread runtime counters (VPP's show runtime).</summary>
public struct NodeRuntime
{
    /// <summary>Times the node was called.</summary>
    public long Calls;
    /// <summary>Vectors processed (sum of frame sizes).</summary>
    public long Vectors;
    /// <summary>Stopwatch ticks spent in the node.</summary>
    public long Ticks;
    /// <summary>Largest vector seen.</summary>
    public long MaxVector;
}

/// <summary>
/// Everything one thread needs to run the graph: pending frames per node, the run queue, buffer
/// cache, node runtime, error and interface counters, and the trace buffer. Owned by exactly one
/// thread at a time (a worker, or the control thread while the workers are held at the barrier).
/// </summary>
public sealed partial class WorkerContext
{
    private readonly Dataplane _dp;
    private NodeFrame[] _pending;
    private NodeFrame _spare = new();
    private readonly int[] _runQueue;
    private readonly bool[] _queued;
    private int _rqHead;
    private int _rqCount;

    internal WorkerContext(Dataplane dp, int index, string name)
    {
        _dp = dp;
        Index = index;
        Name = name;
        var n = dp.Graph.Nodes.Count;
        _pending = new NodeFrame[n];
        for (var i = 0; i < n; i++)
        {
            _pending[i] = new NodeFrame();
        }

        _runQueue = new int[n];
        _queued = new bool[n];
        Runtime = new NodeRuntime[n];
        ErrorCounters = new long[dp.Graph.Errors.Count];
        Buffers = new BufferCache(dp.Buffers);
        Trace = new TraceBuffer(this);
        TraceBudget = new int[n];
    }

    /// <summary>Thread index (0 = main/control, workers from 1).</summary>
    public int Index { get; }

    /// <summary>Thread name as shown by the CLI (<c>vpp_main</c>, <c>vpp_wk_0</c>).</summary>
    public string Name { get; }

    /// <summary>The data plane.</summary>
    public Dataplane Dataplane => _dp;

    /// <summary>This thread's buffer cache.</summary>
    public BufferCache Buffers { get; }

    /// <summary>Per-node runtime counters.</summary>
    public NodeRuntime[] Runtime { get; }

    /// <summary>Error counters by global error index.</summary>
    public long[] ErrorCounters { get; }

    /// <summary>Interface counters by sw_if_index (grown by the control thread at the barrier).</summary>
    public InterfaceCounters[] IfCounters { get; internal set; } = new InterfaceCounters[16];

    /// <summary>Scratch list for nodes on this thread (cleared by the user before use).</summary>
    public List<int> ScratchList { get; } = new(64);

    /// <summary>Packet traces captured on this thread.</summary>
    public TraceBuffer Trace { get; }

    /// <summary>Remaining packets to trace per input node (trace add).</summary>
    public int[] TraceBudget { get; }

    /// <summary>True while any trace budget is set or traced packets may be in flight (enables per-node trace hooks).</summary>
    public bool TracingActive { get; internal set; }

    /// <summary>
    /// ip4-arp's per-thread cache of resolved adjacencies (direct-mapped by interface and address,
    /// <see cref="ArpCacheSlot"/>): lets packets to an attached host skip the neighbour table's lock.
    /// </summary>
    internal Arp.Adjacency?[] ArpCache { get; } = new Arp.Adjacency?[ArpCacheSize];

    private const int ArpCacheSize = 256;

    /// <summary>The <see cref="ArpCache"/> slot of (interface, address).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ArpCacheSlot(int swIfIndex, uint address)
        => (int)(((address ^ ((uint)swIfIndex << 24)) * 0x9e3779b1u) >> 24);

    /// <summary>Hands a packet to node <paramref name="nodeIndex"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(int nodeIndex, int buffer)
    {
        _pending[nodeIndex].Add(buffer);
        if (!_queued[nodeIndex])
        {
            _queued[nodeIndex] = true;
            _runQueue[(_rqHead + _rqCount) % _runQueue.Length] = nodeIndex;
            _rqCount++;
        }
    }

    /// <summary>
    /// Hands a packet that a feature node on <paramref name="arc"/> lets through to the next enabled
    /// feature of its interface, or to the arc's end node after the last one (VPP's vnet_feature_next).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NextFeature(FeatureArc arc, int buffer)
    {
        ArgumentNullException.ThrowIfNull(arc);
        ref var m = ref _dp.Buffers.Meta(buffer);
        var sw = arc.Direction == FeatureArcDirection.Rx ? m.RxSwIfIndex : m.TxSwIfIndex;
        var chain = _dp.InterfaceArray[sw]!.FeatureChains[arc.Index];
        Enqueue(chain[++m.FeatureArcPosition], buffer);
    }

    /// <summary>Drops a packet with an error counter (global index); it goes through error-drop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drop(int buffer, int error)
    {
        _dp.Buffers.Meta(buffer).Error = error;
        Enqueue(_dp.ErrorDropIndex, buffer);
    }

    /// <summary>Counts an error without dropping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountError(int error, long n = 1) => ErrorCounters[error] += n;

    /// <summary>Interface counters of <paramref name="swIfIndex"/> on this thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref InterfaceCounters Counters(int swIfIndex) => ref IfCounters[swIfIndex];

    /// <summary>Runs every pending frame until the graph is empty.</summary>
    public void Dispatch()
    {
        var nodes = _dp.Graph.Nodes;
        while (_rqCount > 0)
        {
            var ni = _runQueue[_rqHead];
            _rqHead = (_rqHead + 1) % _runQueue.Length;
            _rqCount--;
            _queued[ni] = false;
            // Swap the pending frame out so the node may enqueue to itself.
            var frame = _pending[ni];
            _pending[ni] = _spare;
            _spare = frame;
            RunNode(nodes[ni], frame.Buffers.AsSpan(0, frame.Count));
            frame.Count = 0;
        }
    }

    /// <summary>Runs one node over a vector, with runtime accounting and trace hooks.</summary>
    internal void RunNode(GraphNode node, ReadOnlySpan<int> buffers)
    {
        if (TracingActive)
        {
            TraceEntry(node, buffers);
        }

        var t0 = Stopwatch.GetTimestamp();
        try
        {
            node.Process(this, buffers);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One packet must never take the data plane down: the vector is lost, the worker goes on.
            ContainNodeFailure(node, buffers, e);
        }

        ref var rt = ref Runtime[node.Index];
        rt.Ticks += Stopwatch.GetTimestamp() - t0;
        rt.Calls++;
        rt.Vectors += buffers.Length;
        if (buffers.Length > rt.MaxVector)
        {
            rt.MaxVector = buffers.Length;
        }
    }

    /// <summary>Accounts an input node's poll (called by devices after they enqueue what they read).</summary>
    internal void AccountInput(int nodeIndex, int packets, long ticks)
    {
        ref var rt = ref Runtime[nodeIndex];
        rt.Calls++;
        rt.Vectors += packets;
        rt.Ticks += ticks;
        if (packets > rt.MaxVector)
        {
            rt.MaxVector = packets;
        }
    }

    private void TraceEntry(GraphNode node, ReadOnlySpan<int> buffers)
    {
        foreach (var b in buffers)
        {
            ref var m = ref _dp.Buffers.Meta(b);
            if ((m.Flags & BufferFlags.Traced) != 0)
            {
                Trace.Add(m.TraceIndex, node.Name, node.FormatTrace(this, b));
            }
        }
    }

    /// <summary>
    /// Input-node hook: starts a trace for a freshly received packet when the node's trace budget
    /// allows; the caller then adds its input record with <see cref="TraceRecord"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryStartTrace(int inputNode, int buffer)
    {
        if (!TracingActive || TraceBudget[inputNode] <= 0)
        {
            return false;
        }

        TraceBudget[inputNode]--;
        ref var m = ref _dp.Buffers.Meta(buffer);
        m.Flags |= BufferFlags.Traced;
        m.TraceIndex = Trace.Begin();
        return true;
    }

    /// <summary>Adds a trace record under a display name (e.g. <c>tap0-output</c>) for a traced packet.</summary>
    public void TraceRecord(int buffer, string nodeName, string text)
    {
        ref var m = ref _dp.Buffers.Meta(buffer);
        if ((m.Flags & BufferFlags.Traced) != 0)
        {
            Trace.Add(m.TraceIndex, nodeName, text);
        }
    }

    internal void EnsureInterfaceCapacity(int count)
    {
        if (IfCounters.Length < count)
        {
            var n = new InterfaceCounters[Math.Max(count, IfCounters.Length * 2)];
            IfCounters.AsSpan().CopyTo(n);
            IfCounters = n;
        }
    }

    internal void EnsureNodeCapacity()
    {
        // The graph is immutable after start; nothing to grow. Kept for symmetry with interfaces.
        _ = _pending;
    }
}

/// <summary>A vector of buffer indices pending for one node. Starts at 256 and grows only if a node replicates.</summary>
public sealed class NodeFrame
{
    /// <summary>Normal frame size (VPP's VLIB_FRAME_SIZE).</summary>
    public const int FrameSize = 256;

    /// <summary>Buffer indices.</summary>
    public int[] Buffers = new int[FrameSize];

    /// <summary>Number of valid entries.</summary>
    public int Count;

    /// <summary>Appends a buffer index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int buffer)
    {
        if (Count == Buffers.Length)
        {
            Array.Resize(ref Buffers, Buffers.Length * 2);
        }

        Buffers[Count++] = buffer;
    }
}
