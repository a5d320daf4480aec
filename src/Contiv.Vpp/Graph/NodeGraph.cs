namespace Contiv.Vpp.Graph;

/// <summary>
/// The registry of graph nodes. Nodes are added before <see cref="Start"/>, which resolves every
/// node's next-node names into indices once; afterwards the graph is immutable.
/// </summary>
public sealed class NodeGraph
{
    private readonly List<GraphNode> _nodes = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly List<(GraphNode Node, string Reason)> _errors = [];
    private readonly FeatureArc[] _arcs =
    [
        new(FeatureArcs.Ip4Unicast, FeatureArcs.Ip4UnicastName, "ip4-input", "ip4-lookup", FeatureArcDirection.Rx),
        new(FeatureArcs.Ip4Output, FeatureArcs.Ip4OutputName, "ip4-rewrite", "interface-output", FeatureArcDirection.Tx),
    ];

    /// <summary>True once wired.</summary>
    public bool Started { get; private set; }

    /// <summary>All nodes in registration order.</summary>
    public IReadOnlyList<GraphNode> Nodes => _nodes;

    /// <summary>Error counters (node, reason) by global error index.</summary>
    public IReadOnlyList<(GraphNode Node, string Reason)> Errors => _errors;

    /// <summary>Registers a node; its error counters get consecutive global indices.</summary>
    public T Add<T>(T node, Dataplane dataplane)
        where T : GraphNode
    {
        if (Started)
        {
            throw new InvalidOperationException($"node {node.Name}: the graph is already started");
        }

        if (_byName.ContainsKey(node.Name))
        {
            throw new ArgumentException($"node {node.Name} is already registered", nameof(node));
        }

        node.Index = _nodes.Count;
        node.Dataplane = dataplane;
        node.ErrorBase = _errors.Count;
        foreach (var e in node.ErrorNames)
        {
            _errors.Add((node, e));
        }

        node.ExceptionError = _errors.Count;
        _errors.Add((node, GraphNode.ExceptionReason));

        _nodes.Add(node);
        _byName[node.Name] = node.Index;
        return node;
    }

    /// <summary>Feature arcs by index (<see cref="FeatureArcs"/>).</summary>
    public IReadOnlyList<FeatureArc> Arcs => _arcs;

    /// <summary>The ip4-unicast arc.</summary>
    public FeatureArc Ip4Unicast => _arcs[FeatureArcs.Ip4Unicast];

    /// <summary>The ip4-output arc.</summary>
    public FeatureArc Ip4Output => _arcs[FeatureArcs.Ip4Output];

    /// <summary>Finds an arc by name, or null.</summary>
    public FeatureArc? FindArc(string name)
    {
        foreach (var a in _arcs)
        {
            if (a.Name == name)
            {
                return a;
            }
        }

        return null;
    }

    /// <summary>
    /// Declares a registered-or-to-be-registered node as a feature on an arc; must happen before
    /// <see cref="Start"/>, which orders the arc's features.
    /// </summary>
    public void AddFeature(FeatureRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (Started)
        {
            throw new InvalidOperationException($"feature {registration.Node}: the graph is already started");
        }

        var arc = FindArc(registration.Arc)
            ?? throw new ArgumentException($"feature {registration.Node}: unknown feature arc '{registration.Arc}'", nameof(registration));
        arc.Add(registration);
    }

    /// <summary>Index of a node by name.</summary>
    public int IndexOf(string name)
        => _byName.TryGetValue(name, out var i) ? i : throw new KeyNotFoundException($"graph node '{name}' is not registered");

    /// <summary>Finds a node by name.</summary>
    public GraphNode? Find(string name) => _byName.TryGetValue(name, out var i) ? _nodes[i] : null;

    /// <summary>Resolves next-node names and orders every arc's features; fails naming the node whose next is missing.</summary>
    public void Start()
    {
        foreach (var n in _nodes)
        {
            try
            {
                n.Wire(this);
            }
            catch (KeyNotFoundException e)
            {
                throw new InvalidOperationException($"node {n.Name}: {e.Message}", e);
            }
        }

        foreach (var a in _arcs)
        {
            a.Resolve(this);
        }

        Started = true;
    }
}
