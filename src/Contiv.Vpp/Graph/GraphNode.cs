using Contiv.Vpp.Buffers;

namespace Contiv.Vpp.Graph;

/// <summary>Kind of a graph node (VPP's VLIB_NODE_TYPE_*).</summary>
public enum NodeKind
{
    /// <summary>Processes frames handed to it by other nodes.</summary>
    Internal,
    /// <summary>Produces frames by polling devices; never receives frames.</summary>
    Input,
}

/// <summary>
/// A node of the packet graph (VPP's vlib node). Its constructor names its next nodes with
/// <see cref="AddNext"/> and its error counters with <see cref="AddError"/>, keeping the returned
/// slots in fields; <see cref="NodeGraph.Start"/> resolves the names once. A node processes a whole
/// vector of buffer indices and hands every packet to one of its next nodes with
/// <c>ctx.Enqueue(Next(slot), b)</c>. Nodes are shared by all workers: per-worker state lives in
/// <see cref="WorkerContext"/>, never in fields of the node.
/// </summary>
public abstract class GraphNode
{
    private readonly List<string> _nextNames = [];
    private readonly List<string> _errorNames = [];
    private int[] _next = [];

    /// <summary>Creates a node; the constructor of the derived node then adds its next nodes and errors.</summary>
    protected GraphNode(string name, NodeKind kind)
    {
        Name = name;
        Kind = kind;
    }

    /// <summary>Unique node name (<c>ip4-lookup</c>).</summary>
    public string Name { get; }

    /// <summary>Input or internal.</summary>
    public NodeKind Kind { get; }

    /// <summary>Names of the next nodes by slot.</summary>
    public IReadOnlyList<string> NextNodeNames => _nextNames;

    /// <summary>Error counter names (VPP's error strings, e.g. <c>ip4 ttl &lt;= 1</c>).</summary>
    public IReadOnlyList<string> ErrorNames => _errorNames;

    /// <summary>Global index of this node in the graph (set at registration).</summary>
    public int Index { get; internal set; } = -1;

    /// <summary>Global index of the first of this node's error counters.</summary>
    public int ErrorBase { get; internal set; }

    /// <summary>
    /// Reason of the counter every node gets at registration: packets of a vector during which the node
    /// threw (an exception is a bug, but it costs that vector only, not the data plane).
    /// </summary>
    public const string ExceptionReason = "node failed: packets of the vector dropped";

    /// <summary>Global index of this node's <see cref="ExceptionReason"/> counter (set at registration).</summary>
    public int ExceptionError { get; internal set; } = -1;

    /// <summary>The data plane this node belongs to (set at registration).</summary>
    public Dataplane Dataplane { get; internal set; } = null!;

    /// <summary>Names a next node (call from the constructor); the slot is what <see cref="Next"/> takes.</summary>
    protected NextSlot AddNext(string nodeName)
    {
        ThrowIfRegistered(nodeName);
        _nextNames.Add(nodeName);
        return new NextSlot(_nextNames.Count - 1);
    }

    /// <summary>Adds an error counter with its reason (call from the constructor); <see cref="Error"/> turns it into a global index.</summary>
    protected ErrorSlot AddError(string reason)
    {
        ThrowIfRegistered(reason);
        _errorNames.Add(reason);
        return new ErrorSlot(_errorNames.Count - 1);
    }

    /// <summary>Global node index of next slot <paramref name="slot"/>.</summary>
    protected int Next(NextSlot slot) => _next[slot.Slot];

    /// <summary>Global index of error <paramref name="error"/> of this node.</summary>
    protected int Error(ErrorSlot error) => ErrorBase + error.Offset;

    internal void Wire(NodeGraph graph)
    {
        var next = new int[_nextNames.Count];
        for (var i = 0; i < next.Length; i++)
        {
            next[i] = graph.IndexOf(_nextNames[i]);
        }

        _next = next;
    }

    private void ThrowIfRegistered(string what)
    {
        if (Index >= 0)
        {
            throw new InvalidOperationException($"node {Name}: '{what}' added after the node was registered");
        }
    }

    /// <summary>Processes a vector of packets. Every buffer must be enqueued to a next node or freed.</summary>
    public abstract void Process(WorkerContext ctx, ReadOnlySpan<int> buffers);

    /// <summary>Trace text for one packet entering this node (cold path: allocation is fine).</summary>
    public virtual string FormatTrace(WorkerContext ctx, int buffer) => string.Empty;

    /// <summary>Shortcut to the buffer pool.</summary>
    protected BufferPool Pool => Dataplane.Buffers;
}
