using Contiv.Agent.Scheduler;

namespace Contiv.Agent.Tests.Scheduler;

/// <summary>One data plane operation as the fake executor receives it.</summary>
internal sealed record DpOperation(KvOp Op, string Key, string Value)
{
    public override string ToString() => $"{Op.ToString().ToLowerInvariant()} {Key}";
}

/// <summary>
/// A fake but order-checking "data plane plus Linux": one dictionary of what exists (values are strings
/// "value|dep1,dep2"), a batch executor that applies operations in order and stops at the first failure,
/// and a log of everything that touched the world. Ordering mistakes (creating before a dependency exists,
/// deleting something another item still depends on) are collected in <see cref="Violations"/> rather than
/// thrown as assertions, because the scheduler catches exceptions from descriptors and executors.
/// </summary>
internal sealed class BatchWorld : IKvBatchExecutor<DpOperation>
{
    /// <summary>Key → value of everything that exists (data plane and Linux items).</summary>
    public Dictionary<string, string> Items { get; } = new(StringComparer.Ordinal);

    /// <summary>Every Execute call with the operations it received, in order.</summary>
    public List<List<DpOperation>> Calls { get; } = [];

    /// <summary>Everything that happened, in order: "execute create dp/if/a, …" or "lx create lx/addr/a".</summary>
    public List<string> Log { get; } = [];

    /// <summary>Ordering or protocol mistakes seen; a correct scheduler leaves this empty.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Key → (transient, how many more times its operation fails).</summary>
    public Dictionary<string, (bool Transient, int Times)> FailOn { get; } = new(StringComparer.Ordinal);

    /// <summary>How many more Execute calls throw instead of returning results.</summary>
    public int ThrowTimes { get; set; }

    public static IEnumerable<string> DependenciesOf(string value)
    {
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? [] : value[(bar + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
    }

    public IReadOnlyList<KvBatchResult> Execute(IReadOnlyList<KvBatchOperation<DpOperation>> operations)
    {
        var ops = new List<DpOperation>(operations.Count);
        foreach (var o in operations)
        {
            ops.Add(o.Operation);
        }

        Calls.Add(ops);
        Log.Add("execute " + string.Join(", ", ops));
        if (ThrowTimes > 0)
        {
            ThrowTimes--;
            throw new IOException("data plane connection lost");
        }

        var results = new List<KvBatchResult>(ops.Count);
        foreach (var op in ops)
        {
            if (results.Count > 0 && !results[^1].Done)
            {
                results.Add(KvBatchResult.Skipped);
                continue;
            }

            if (FailOn.TryGetValue(op.Key, out var fail) && fail.Times > 0)
            {
                FailOn[op.Key] = (fail.Transient, fail.Times - 1);
                results.Add(KvBatchResult.Failed(new KvOperationException($"{op.Key}: injected data plane failure", fail.Transient)));
                continue;
            }

            var problem = Apply(op);
            results.Add(problem is null ? KvBatchResult.Ok : KvBatchResult.Failed(new KvOperationException(problem, transient: false)));
        }

        return results;
    }

    /// <summary>Applies one operation to <see cref="Items"/>; returns the violation, if any (also recorded).</summary>
    public string? Apply(DpOperation op)
    {
        string? problem = null;
        switch (op.Op)
        {
            case KvOp.Create or KvOp.Update:
                if (op.Op == KvOp.Create && Items.ContainsKey(op.Key))
                {
                    problem = $"{op.Key} created twice";
                }
                else if (op.Op == KvOp.Update && !Items.ContainsKey(op.Key))
                {
                    problem = $"{op.Key} updated but does not exist";
                }
                else if (DependenciesOf(op.Value).FirstOrDefault(d => !Items.ContainsKey(d)) is { } missing)
                {
                    problem = $"{op.Key} {op.Op} before its dependency {missing} exists";
                }
                else
                {
                    Items[op.Key] = op.Value;
                }

                break;
            case KvOp.Delete:
                if (Items.FirstOrDefault(kv => DependenciesOf(kv.Value).Contains(op.Key)).Key is { } dependent)
                {
                    problem = $"{op.Key} deleted while {dependent} depends on it";
                }
                else
                {
                    Items.Remove(op.Key);
                }

                break;
        }

        if (problem is not null)
        {
            Violations.Add(problem);
        }

        return problem;
    }
}

/// <summary>A batching data plane descriptor: every operation goes through the shared <see cref="BatchWorld"/> executor.</summary>
internal sealed class DataPlaneDescriptor(string name, string prefix, BatchWorld world) : KvDescriptor<string>, IKvBatchingDescriptor<string, DpOperation>
{
    public override string Name => name;

    public override string KeyPrefix => prefix;

    public IKvBatchExecutor<DpOperation> BatchExecutor => world;

    public override IEnumerable<string> Dependencies(string key, string value) => BatchWorld.DependenciesOf(value);

    public DpOperation PrepareOperation(KvOp op, string key, string value) => new DpOperation(op, key, value);

    // Batched items are created and updated only through the executor.
    public override void Create(string key, string value)
    {
        world.Violations.Add($"{key}: Create called directly on a batching descriptor");
        throw new InvalidOperationException("not batched");
    }

    public override void Update(string key, string oldValue, string newValue)
    {
        world.Violations.Add($"{key}: Update called directly on a batching descriptor");
        throw new InvalidOperationException("not batched");
    }

    // Cascade deletes run directly (outside a batch).
    public override void Delete(string key, string value)
    {
        world.Log.Add($"direct delete {key}");
        if (world.Apply(new DpOperation(KvOp.Delete, key, value)) is { } problem)
        {
            throw new KvOperationException(problem, transient: false);
        }
    }
}

/// <summary>A non-batching "Linux" descriptor (e.g. an address on a pod's interface) that acts on the world immediately.</summary>
internal sealed class LinuxDescriptor(string name, string prefix, BatchWorld world) : KvDescriptor<string>
{
    public override string Name => name;

    public override string KeyPrefix => prefix;

    public override IEnumerable<string> Dependencies(string key, string value) => BatchWorld.DependenciesOf(value);

    public override void Create(string key, string value) => Run(new DpOperation(KvOp.Create, key, value));

    public override void Update(string key, string oldValue, string newValue) => Run(new DpOperation(KvOp.Update, key, newValue));

    public override void Delete(string key, string value) => Run(new DpOperation(KvOp.Delete, key, value));

    private void Run(DpOperation op)
    {
        world.Log.Add("lx " + op);
        if (world.Apply(op) is { } problem)
        {
            throw new KvOperationException(problem, transient: false);
        }
    }
}
