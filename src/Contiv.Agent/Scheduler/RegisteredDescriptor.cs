namespace Contiv.Agent.Scheduler;

/// <summary>
/// The scheduler's untyped view of a registered <see cref="IKvDescriptor{TValue}"/>. Items of all descriptors live in
/// one table as <c>object</c>; this is the one place where they meet their descriptor's value type. Every value is
/// checked with <see cref="Check"/> when it enters the table (desired, derived or retrieved), so the casts below
/// cannot fail.
/// </summary>
internal abstract class RegisteredDescriptor
{
    public abstract string Name { get; }

    public abstract string KeyPrefix { get; }

    /// <summary>True when operations are queued and executed in batches (<see cref="IKvBatchingDescriptor{TValue, TOperation}"/>).</summary>
    public abstract bool Batches { get; }

    /// <summary>The descriptor as registered (for listing).</summary>
    public abstract object Descriptor { get; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the key when <paramref name="value"/> is not this descriptor's value type.</summary>
    public abstract void Check(string key, object value);

    public abstract IEnumerable<string> Dependencies(string key, object value);

    public abstract IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, object value);

    public abstract bool Equivalent(string key, object desired, object applied);

    public abstract bool RequiresRecreate(string key, object oldValue, object newValue);

    public abstract void Create(string key, object value);

    public abstract void Update(string key, object oldValue, object newValue);

    public abstract void Delete(string key, object value);

    /// <summary>Read-back of the items in <paramref name="interest"/> (values may be null: such items are left out).</summary>
    public abstract IReadOnlyDictionary<string, object>? Retrieve(IEnumerable<KeyValuePair<string, object?>> interest, RetrieveContext context);

    /// <summary>The operation prepared for batching; only when <see cref="Batches"/>.</summary>
    public abstract PreparedOperation Prepare(KvOp op, string key, object value);

    public static RegisteredDescriptor Of<TValue>(IKvDescriptor<TValue> descriptor)
        where TValue : class
    {
        if (descriptor is IKvBatching)
        {
            // Registered through the plain overload (e.g. typed as IKvDescriptor<T>): its batching would be lost.
            throw new ArgumentException($"descriptor {descriptor.Name} batches its operations: register it as an IKvBatchingDescriptor", nameof(descriptor));
        }

        return new Typed<TValue>(descriptor);
    }

    public static RegisteredDescriptor Of<TValue, TOperation>(IKvBatchingDescriptor<TValue, TOperation> descriptor)
        where TValue : class
        => new Batching<TValue, TOperation>(descriptor);

    private class Typed<TValue>(IKvDescriptor<TValue> d) : RegisteredDescriptor
        where TValue : class
    {
        public override string Name => d.Name;

        public override string KeyPrefix => d.KeyPrefix;

        public override bool Batches => false;

        public override object Descriptor => d;

        public override void Check(string key, object value)
        {
            if (value is not TValue)
            {
                throw new ArgumentException($"{key}: value is a {value.GetType().Name}, but descriptor {d.Name} takes {typeof(TValue).Name}", nameof(value));
            }
        }

        public override IEnumerable<string> Dependencies(string key, object value) => d.Dependencies(key, (TValue)value);

        public override IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, object value) => d.DerivedItems(key, (TValue)value);

        public override bool Equivalent(string key, object desired, object applied) => d.Equivalent(key, (TValue)desired, (TValue)applied);

        public override bool RequiresRecreate(string key, object oldValue, object newValue) => d.RequiresRecreate(key, (TValue)oldValue, (TValue)newValue);

        public override void Create(string key, object value) => d.Create(key, (TValue)value);

        public override void Update(string key, object oldValue, object newValue) => d.Update(key, (TValue)oldValue, (TValue)newValue);

        public override void Delete(string key, object value) => d.Delete(key, (TValue)value);

        public override IReadOnlyDictionary<string, object>? Retrieve(IEnumerable<KeyValuePair<string, object?>> interest, RetrieveContext context)
        {
            var typed = new Dictionary<string, TValue>(StringComparer.Ordinal);
            foreach (var (k, v) in interest)
            {
                if (v is not null)
                {
                    typed[k] = (TValue)v;
                }
            }

            var got = d.Retrieve(typed, context);
            if (got is null)
            {
                return null;
            }

            var result = new Dictionary<string, object>(got.Count, StringComparer.Ordinal);
            foreach (var (k, v) in got)
            {
                result[k] = v;
            }

            return result;
        }

        public override PreparedOperation Prepare(KvOp op, string key, object value)
            => throw new InvalidOperationException($"descriptor {d.Name} does not batch");
    }

    private sealed class Batching<TValue, TOperation>(IKvBatchingDescriptor<TValue, TOperation> d) : Typed<TValue>(d)
        where TValue : class
    {
        public override bool Batches => true;

        public override PreparedOperation Prepare(KvOp op, string key, object value)
            => new PreparedOperation<TOperation>(d.BatchExecutor, d.PrepareOperation(op, key, (TValue)value));
    }
}
