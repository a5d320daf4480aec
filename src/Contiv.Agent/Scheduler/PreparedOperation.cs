namespace Contiv.Agent.Scheduler;

/// <summary>An operation prepared by a batching descriptor, bound to the executor that will run it.</summary>
internal abstract class PreparedOperation
{
    /// <summary>True when <paramref name="other"/> can run in the same batch (same executor, same operation type).</summary>
    public abstract bool SharesExecutorWith(PreparedOperation other);

    /// <summary>
    /// Executes <paramref name="batch"/> (this operation's batch: all share its executor) in one exchange; one result
    /// per operation, <paramref name="what"/> describing each for messages.
    /// </summary>
    public abstract IReadOnlyList<KvBatchResult> Execute(IReadOnlyList<PreparedOperation> batch, IReadOnlyList<string> what);
}

/// <summary>A prepared <typeparamref name="TOperation"/> for its <see cref="IKvBatchExecutor{TOperation}"/>.</summary>
internal sealed class PreparedOperation<TOperation>(IKvBatchExecutor<TOperation> executor, TOperation operation) : PreparedOperation
{
    private readonly IKvBatchExecutor<TOperation> _executor = executor;

    public TOperation Operation { get; } = operation;

    public override bool SharesExecutorWith(PreparedOperation other)
        => other is PreparedOperation<TOperation> o && ReferenceEquals(o._executor, _executor);

    public override IReadOnlyList<KvBatchResult> Execute(IReadOnlyList<PreparedOperation> batch, IReadOnlyList<string> what)
    {
        var ops = new List<KvBatchOperation<TOperation>>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var p = batch[i] as PreparedOperation<TOperation>
                ?? throw new InvalidOperationException($"{what[i]} was queued for another executor");
            ops.Add(new KvBatchOperation<TOperation>(p.Operation, what[i]));
        }

        return _executor.Execute(ops);
    }
}
