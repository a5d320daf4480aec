namespace Contiv.Vpp.Graph;

/// <summary>Which interface of a packet selects the features it passes on an arc.</summary>
public enum FeatureArcDirection
{
    /// <summary>The receiving interface (<see cref="Buffers.BufferMeta.RxSwIfIndex"/>): input arcs.</summary>
    Rx,
    /// <summary>The transmitting interface (<see cref="Buffers.BufferMeta.TxSwIfIndex"/>): output arcs.</summary>
    Tx,
}

/// <summary>
/// A feature arc (VPP's vnet feature arc): an optional chain of feature nodes between a start node and
/// an end node, enabled per interface. Features declare their order relative to each other
/// (<see cref="FeatureRegistration.RunsBefore"/>/<see cref="FeatureRegistration.RunsAfter"/>, like
/// <c>VNET_FEATURE_INIT</c>); <see cref="NodeGraph.Start"/> sorts them once. An interface with no
/// feature enabled costs the start node one empty-array check per packet and nothing else.
/// </summary>
public sealed class FeatureArc
{
    private readonly List<FeatureRegistration> _registrations = [];
    private GraphNode[] _ordered = [];

    internal FeatureArc(int index, string name, string startNode, string endNode, FeatureArcDirection direction)
    {
        Index = index;
        Name = name;
        StartNodeName = startNode;
        EndNodeName = endNode;
        Direction = direction;
    }

    /// <summary>Index of the arc (<see cref="FeatureArcs"/>); selects the interface's enabled-feature chain.</summary>
    public int Index { get; }

    /// <summary>Arc name (<c>ip4-unicast</c>).</summary>
    public string Name { get; }

    /// <summary>The node that enters the arc (<c>ip4-input</c>).</summary>
    public string StartNodeName { get; }

    /// <summary>The node a packet reaches after the last enabled feature (<c>ip4-lookup</c>).</summary>
    public string EndNodeName { get; }

    /// <summary>Rx or tx interface selects the features.</summary>
    public FeatureArcDirection Direction { get; }

    /// <summary>Graph index of the end node (valid once the graph is started).</summary>
    public int EndNodeIndex { get; private set; } = -1;

    /// <summary>Every feature registered on the arc, in arc order (valid once the graph is started).</summary>
    public IReadOnlyList<GraphNode> Features => _ordered;

    /// <summary>Position of a feature node in arc order, or -1 when it is not on this arc.</summary>
    public int PositionOf(GraphNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Array.IndexOf(_ordered, node);
    }

    internal void Add(FeatureRegistration registration)
    {
        foreach (var r in _registrations)
        {
            if (r.Node == registration.Node)
            {
                throw new ArgumentException($"feature {registration.Node} is already registered on arc {Name}", nameof(registration));
            }
        }

        _registrations.Add(registration);
    }

    /// <summary>
    /// Resolves node names and orders the features: a topological sort of the declared constraints,
    /// ties kept in registration order so the result is deterministic. A constraint naming a node that is
    /// not on this arc is ignored (the other feature may simply not be built in), as VPP does.
    /// </summary>
    internal void Resolve(NodeGraph graph)
    {
        EndNodeIndex = graph.IndexOf(EndNodeName);
        _ = graph.IndexOf(StartNodeName);
        var n = _registrations.Count;
        var nodes = new GraphNode[n];
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            nodes[i] = graph.Find(_registrations[i].Node)
                ?? throw new InvalidOperationException($"feature arc {Name}: feature node '{_registrations[i].Node}' is not registered");
            if (nodes[i].Kind != NodeKind.Internal)
            {
                throw new InvalidOperationException($"feature arc {Name}: feature node '{nodes[i].Name}' is an input node");
            }

            position[nodes[i].Name] = i;
        }

        // after[i] = features that must run before feature i.
        var before = new List<int>[n];
        for (var i = 0; i < n; i++)
        {
            before[i] = [];
        }

        for (var i = 0; i < n; i++)
        {
            foreach (var a in _registrations[i].RunsAfter)
            {
                if (position.TryGetValue(a, out var j))
                {
                    before[i].Add(j);
                }
            }

            foreach (var b in _registrations[i].RunsBefore)
            {
                if (position.TryGetValue(b, out var j))
                {
                    before[j].Add(i);
                }
            }
        }

        var placed = new bool[n];
        var ordered = new GraphNode[n];
        for (var k = 0; k < n; k++)
        {
            var next = -1;
            for (var i = 0; i < n && next < 0; i++)
            {
                if (!placed[i] && before[i].TrueForAll(j => placed[j]))
                {
                    next = i;
                }
            }

            if (next < 0)
            {
                var cycle = new List<string>();
                for (var i = 0; i < n; i++)
                {
                    if (!placed[i])
                    {
                        cycle.Add(nodes[i].Name);
                    }
                }

                throw new InvalidOperationException($"feature arc {Name}: ordering constraints form a cycle among {string.Join(", ", cycle)}");
            }

            placed[next] = true;
            ordered[k] = nodes[next];
        }

        _ordered = ordered;
    }

    /// <summary>
    /// The chain a packet follows on an interface with <paramref name="enabled"/> features: their node
    /// indices in arc order, then the end node. Empty when nothing is enabled (the start node then takes
    /// its ordinary next).
    /// </summary>
    internal int[] BuildChain(IReadOnlySet<int> enabled)
    {
        if (enabled.Count == 0)
        {
            return [];
        }

        var chain = new int[enabled.Count + 1];
        var k = 0;
        foreach (var f in _ordered)
        {
            if (enabled.Contains(f.Index))
            {
                chain[k++] = f.Index;
            }
        }

        chain[k] = EndNodeIndex;
        return chain;
    }
}
