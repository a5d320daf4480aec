namespace Contiv.Agent.Scheduler;

/// <summary>
/// Convenience base of <see cref="IKvDescriptor{TValue}"/>: no dependencies, no derived items, equality-based
/// equivalence, in-place updates (by creating again) and no read-back.
/// </summary>
/// <typeparam name="TValue">The item's value.</typeparam>
internal abstract class KvDescriptor<TValue> : IKvDescriptor<TValue>
    where TValue : class
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract string KeyPrefix { get; }

    /// <inheritdoc/>
    public virtual IEnumerable<string> Dependencies(string key, TValue value) => [];

    /// <inheritdoc/>
    public virtual IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, TValue value) => [];

    /// <inheritdoc/>
    public virtual bool Equivalent(string key, TValue desired, TValue applied) => Equals(desired, applied);

    /// <inheritdoc/>
    public virtual bool RequiresRecreate(string key, TValue oldValue, TValue newValue) => false;

    /// <inheritdoc/>
    public abstract void Create(string key, TValue value);

    /// <inheritdoc/>
    public virtual void Update(string key, TValue oldValue, TValue newValue) => Create(key, newValue);

    /// <inheritdoc/>
    public abstract void Delete(string key, TValue value);

    /// <inheritdoc/>
    public virtual IReadOnlyDictionary<string, TValue>? Retrieve(IReadOnlyDictionary<string, TValue> keysOfInterest, RetrieveContext context) => null;
}
