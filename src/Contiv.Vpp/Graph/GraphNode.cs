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
/// A node of the packet graph (VPP's vlib node). Registered with a name, a list of named next nodes
/// and named error counters; wired once by <see cref="NodeGraph.Start"/>. A node processes a whole
/// vector of buffer indices and hands every packet to one of its next nodes with
/// <see cref="WorkerContext.Enqueue"/>. Nodes are shared by all workers: per-worker state lives in
/// <see cref="WorkerContext"/>, never in fields of the node.
/// </summary>
public abstract class GraphNode
{
    private int[] _next = [];

    /// <summary>Creates a node.</summary>
    protected GraphNode(string name, NodeKind kind, string[] nextNodes, string[] errors)
    {
        Name = name;
        Kind = kind;
        NextNodeNames = nextNodes;
        ErrorNames = errors;
    }

    /// <summary>Unique node name (<c>ip4-lookup</c>).</summary>
    public string Name { get; }

    /// <summary>Input or internal.</summary>
    public NodeKind Kind { get; }

    /// <summary>Names of the next nodes; slot i of <see cref="Next"/> is the node named here at i.</summary>
    public IReadOnlyList<string> NextNodeNames { get; }

    /// <summary>Error counter names (VPP's error strings, e.g. <c>ip4 ttl &lt;= 1</c>).</summary>
    public IReadOnlyList<string> ErrorNames { get; }

    /// <summary>Global index of this node in the graph (set at registration).</summary>
    public int Index { get; internal set; } = -1;

    /// <summary>Global index of the first of this node's error counters.</summary>
    public int ErrorBase { get; internal set; }

    /// <summary>The data plane this node belongs to (set at registration).</summary>
    public Dataplane Dataplane { get; internal set; } = null!;

    /// <summary>Global node index of next slot <paramref name="slot"/>.</summary>
    protected int Next(int slot) => _next[slot];

    /// <summary>Global index of error <paramref name="error"/> of this node.</summary>
    protected int Error(int error) => ErrorBase + error;

    internal void Wire(NodeGraph graph)
    {
        var next = new int[NextNodeNames.Count];
        for (var i = 0; i < next.Length; i++)
        {
            next[i] = graph.IndexOf(NextNodeNames[i]);
        }

        _next = next;
    }

    /// <summary>Processes a vector of packets. Every buffer must be enqueued to a next node or freed.</summary>
    public abstract void Process(WorkerContext ctx, ReadOnlySpan<int> buffers);

    /// <summary>Trace text for one packet entering this node (cold path: allocation is fine).</summary>
    public virtual string FormatTrace(WorkerContext ctx, int buffer) => string.Empty;

    /// <summary>Shortcut to the buffer pool.</summary>
    protected BufferPool Pool => Dataplane.Buffers;
}
