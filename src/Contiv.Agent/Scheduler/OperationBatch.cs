namespace Contiv.Agent.Scheduler;

/// <summary>A queued operation with what a flush needs to settle it.</summary>
/// <param name="State">The item.</param>
/// <param name="Op">What is done to it.</param>
/// <param name="Value">The new value, or the applied one for a delete.</param>
/// <param name="Previous">The applied value before the operation (restored when it fails or is not attempted).</param>
/// <param name="Prepared">The operation in its executor's terms.</param>
internal sealed record QueuedOperation(ItemState State, KvOp Op, object Value, object? Previous, PreparedOperation Prepared);

/// <summary>Operations of batching descriptors queued for one executor, in the order they must run.</summary>
internal sealed class OperationBatch
{
    private readonly List<QueuedOperation> _ops = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _needed = new(StringComparer.Ordinal);

    public int Count => _ops.Count;

    public bool Contains(ItemState s) => _keys.Contains(s.Key);

    /// <summary>True when something is queued that cannot run in one exchange with <paramref name="prepared"/>.</summary>
    public bool HoldsOtherExecutorThan(PreparedOperation prepared) => _ops.Count > 0 && !_ops[0].Prepared.SharesExecutorWith(prepared);

    public void Add(QueuedOperation q)
    {
        _ops.Add(q);
        _keys.Add(q.State.Key);
        foreach (var d in DependencyIndex.Of(q.State, q.Value))
        {
            _needed.Add(d);
        }

        if (q.Previous is not null)
        {
            foreach (var d in DependencyIndex.Of(q.State, q.Previous))
            {
                _needed.Add(d);
            }
        }
    }

    /// <summary>True when <paramref name="s"/> depends on a queued item, or a queued item depends on it.</summary>
    public bool RelatesTo(ItemState s)
    {
        if (_ops.Count == 0)
        {
            return false;
        }

        if (_needed.Contains(s.Key))
        {
            return true;
        }

        foreach (var value in (ReadOnlySpan<object?>)[s.Desired, s.Applied])
        {
            if (value is not null && DependencyIndex.Of(s, value).Any(_keys.Contains))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes and returns the queued operations.</summary>
    public List<QueuedOperation> Take()
    {
        var ops = _ops.ToList();
        _ops.Clear();
        _keys.Clear();
        _needed.Clear();
        return ops;
    }

    /// <summary>Executes <paramref name="queued"/> (taken from a batch) in one exchange with their executor.</summary>
    public static IReadOnlyList<KvBatchResult> Execute(List<QueuedOperation> queued)
    {
        var prepared = new List<PreparedOperation>(queued.Count);
        var what = new List<string>(queued.Count);
        foreach (var q in queued)
        {
            prepared.Add(q.Prepared);
            what.Add($"{q.State.Descriptor.Name} {q.State.Key}");
        }

        return prepared[0].Execute(prepared, what);
    }
}
