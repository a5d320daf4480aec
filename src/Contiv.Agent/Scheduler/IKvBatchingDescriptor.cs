namespace Contiv.Agent.Scheduler;

/// <summary>
/// A descriptor whose operations the scheduler may queue and hand to its <see cref="BatchExecutor"/> together with
/// queued operations of other descriptors sharing that executor (e.g. everything of the data plane: one round trip
/// for a pod's interface, ARP entry and route instead of three). Register with
/// <see cref="KvScheduler.Register{TValue, TOperation}"/>.
/// </summary>
/// <typeparam name="TValue">The item's value.</typeparam>
/// <typeparam name="TOperation">An operation in the executor's terms (e.g. the data plane's <c>ConfigOp</c>).</typeparam>
internal interface IKvBatchingDescriptor<TValue, TOperation> : IKvDescriptor<TValue>, IKvBatching
    where TValue : class
{
    /// <summary>Executes this descriptor's queued operations; descriptors batch together when they share it.</summary>
    IKvBatchExecutor<TOperation> BatchExecutor { get; }

    /// <summary>The operation in the executor's terms; <paramref name="value"/> is the new value, or the applied one for a delete.</summary>
    TOperation PrepareOperation(KvOp op, string key, TValue value);
}

/// <summary>Executes queued operations of <see cref="IKvBatchingDescriptor{TValue, TOperation}"/>s in one exchange.</summary>
/// <typeparam name="TOperation">An operation in the executor's terms.</typeparam>
internal interface IKvBatchExecutor<TOperation>
{
    /// <summary>
    /// Executes <paramref name="operations"/> in order and stops at the first failure. Returns one result per
    /// operation: done, failed (with the error), or not attempted because an earlier one failed.
    /// </summary>
    IReadOnlyList<KvBatchResult> Execute(IReadOnlyList<KvBatchOperation<TOperation>> operations);
}

/// <summary>One queued operation: the prepared form and a description for messages (descriptor and key).</summary>
/// <typeparam name="TOperation">An operation in the executor's terms.</typeparam>
internal readonly record struct KvBatchOperation<TOperation>(TOperation Operation, string What);

/// <summary>Outcome of one batched operation.</summary>
internal readonly record struct KvBatchResult(bool Done, Exception? Error)
{
    /// <summary>Executed successfully.</summary>
    public static KvBatchResult Ok { get; } = new(true, null);

    /// <summary>Not attempted (an earlier operation of the batch failed).</summary>
    public static KvBatchResult Skipped { get; } = new(false, null);

    /// <summary>Failed with <paramref name="error"/>.</summary>
    public static KvBatchResult Failed(Exception error) => new(false, error);
}

/// <summary>Marks every <see cref="IKvBatchingDescriptor{TValue, TOperation}"/> without its type arguments (a type test
/// instead of reflection over interfaces: the agent is published NativeAOT).</summary>
internal interface IKvBatching
{
}
