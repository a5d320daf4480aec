namespace Contiv.Agent.Scheduler;

/// <summary>
/// How one kind of item (an interface, a route, a Linux address in a namespace …) is created, updated,
/// deleted and read back. Items are keyed by string; every key starts with the descriptor's
/// <see cref="KeyPrefix"/>. Calls come from one thread (the event loop) or, for <see cref="Retrieve"/>,
/// also from REST dumps under the scheduler's lock.
/// </summary>
public interface IKvDescriptor
{
    /// <summary>Descriptor name as used by <c>/scheduler/dump?descriptor=</c> (e.g. <c>vpp-interface</c>).</summary>
    string Name { get; }

    /// <summary>Prefix of every key this descriptor owns (e.g. <c>vpp/interface/</c>).</summary>
    string KeyPrefix { get; }

    /// <summary>Keys that must be applied before this item can be created (and that it blocks from deletion).</summary>
    IEnumerable<string> Dependencies(string key, object value);

    /// <summary>Items derived from this one (each removed with it and implicitly depending on it).</summary>
    IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, object value);

    /// <summary>True when the applied value already is what is desired (no operation needed).</summary>
    bool Equivalent(string key, object desired, object applied);

    /// <summary>True when the change cannot be made in place and the item must be deleted and re-created.</summary>
    bool RequiresRecreate(string key, object oldValue, object newValue);

    /// <summary>Creates the item; throws on failure (<see cref="KvOperationException"/> tells whether retrying helps).</summary>
    void Create(string key, object value);

    /// <summary>Changes the item in place.</summary>
    void Update(string key, object oldValue, object newValue);

    /// <summary>Deletes the item; deleting a missing item must succeed.</summary>
    void Delete(string key, object value);

    /// <summary>
    /// Reads what really exists: values of (at least) the <paramref name="keysOfInterest"/> that exist, keyed
    /// like the desired items. Null when this descriptor cannot read back (its applied state is then trusted).
    /// </summary>
    IReadOnlyDictionary<string, object>? Retrieve(IReadOnlyDictionary<string, object?> keysOfInterest, RetrieveContext context);
}

/// <summary>Shared cache for one retrieval round (e.g. one data plane dump for all data plane descriptors).</summary>
public sealed class RetrieveContext
{
    private readonly Dictionary<string, object> _cache = [];

    /// <summary>Returns the cached value under <paramref name="name"/>, computing it once.</summary>
    public T GetOrAdd<T>(string name, Func<T> factory)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (!_cache.TryGetValue(name, out var v))
        {
            v = factory();
            _cache[name] = v;
        }

        return (T)v;
    }
}

/// <summary>A failed create/update/delete; <see cref="Transient"/> tells the scheduler whether a retry may help.</summary>
public sealed class KvOperationException(string message, bool transient = true, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when retrying the same operation later may succeed.</summary>
    public bool Transient { get; } = transient;
}

/// <summary>Convenience base with no dependencies, no derived items, equality-based equivalence and in-place updates.</summary>
public abstract class KvDescriptorBase : IKvDescriptor
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract string KeyPrefix { get; }

    /// <inheritdoc/>
    public virtual IEnumerable<string> Dependencies(string key, object value) => [];

    /// <inheritdoc/>
    public virtual IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, object value) => [];

    /// <inheritdoc/>
    public virtual bool Equivalent(string key, object desired, object applied) => Equals(desired, applied);

    /// <inheritdoc/>
    public virtual bool RequiresRecreate(string key, object oldValue, object newValue) => false;

    /// <inheritdoc/>
    public abstract void Create(string key, object value);

    /// <inheritdoc/>
    public virtual void Update(string key, object oldValue, object newValue) => Create(key, newValue);

    /// <inheritdoc/>
    public abstract void Delete(string key, object value);

    /// <inheritdoc/>
    public virtual IReadOnlyDictionary<string, object>? Retrieve(IReadOnlyDictionary<string, object?> keysOfInterest, RetrieveContext context) => null;
}

/// <summary>
/// A descriptor whose operations the scheduler may queue and hand to its <see cref="BatchExecutor"/> together with
/// queued operations of other descriptors sharing that executor (e.g. everything of the data plane: one round trip
/// for a pod's interface, ARP entry and route instead of three).
/// </summary>
public interface IKvBatchingDescriptor : IKvDescriptor
{
    /// <summary>Executes this descriptor's queued operations; descriptors batch together when they share it.</summary>
    IKvBatchExecutor BatchExecutor { get; }

    /// <summary>The operation in the executor's terms; <paramref name="value"/> is the new value, or the applied one for a delete.</summary>
    object PrepareOperation(KvOp op, string key, object value);
}

/// <summary>Executes queued operations of <see cref="IKvBatchingDescriptor"/>s in one exchange.</summary>
public interface IKvBatchExecutor
{
    /// <summary>
    /// Executes <paramref name="operations"/> in order and stops at the first failure. Returns one result per
    /// operation: done, failed (with the error), or not attempted because an earlier one failed.
    /// </summary>
    IReadOnlyList<KvBatchResult> Execute(IReadOnlyList<KvBatchOperation> operations);
}

/// <summary>One queued operation: the prepared form and a description for messages (descriptor and key).</summary>
public readonly record struct KvBatchOperation(object Operation, string What);

/// <summary>Outcome of one batched operation.</summary>
public readonly record struct KvBatchResult(bool Done, Exception? Error)
{
    /// <summary>Executed successfully.</summary>
    public static KvBatchResult Ok { get; } = new(true, null);

    /// <summary>Not attempted (an earlier operation of the batch failed).</summary>
    public static KvBatchResult Skipped { get; } = new(false, null);

    /// <summary>Failed with <paramref name="error"/>.</summary>
    public static KvBatchResult Failed(Exception error) => new(false, error);
}
