namespace Contiv.Agent.Scheduler;

/// <summary>
/// How one kind of item (an interface, a route, a Linux address in a namespace …) is created, updated,
/// deleted and read back. Items are keyed by string; every key starts with the descriptor's
/// <see cref="KeyPrefix"/>, and every value of those keys is a <typeparamref name="TValue"/> (the scheduler
/// rejects a transaction that puts anything else under the prefix, naming the key). Values are never changed
/// once handed to the scheduler. Calls come from one thread (the event loop) or, for <see cref="Retrieve"/>,
/// also from REST dumps under the scheduler's lock. Register with <see cref="KvScheduler.Register{TValue}"/>.
/// </summary>
/// <typeparam name="TValue">The item's value (a protobuf message, a record).</typeparam>
internal interface IKvDescriptor<TValue>
    where TValue : class
{
    /// <summary>Descriptor name as used by <c>/scheduler/dump?descriptor=</c> (e.g. <c>vpp-interface</c>).</summary>
    string Name { get; }

    /// <summary>Prefix of every key this descriptor owns (e.g. <c>vpp/interface/</c>).</summary>
    string KeyPrefix { get; }

    /// <summary>Keys that must be applied before this item can be created (and that it blocks from deletion).</summary>
    IEnumerable<string> Dependencies(string key, TValue value);

    /// <summary>
    /// Items derived from this one (each removed with it and implicitly depending on it). A derived item may belong to
    /// any descriptor, so its value is that descriptor's value type.
    /// </summary>
    IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, TValue value);

    /// <summary>True when the applied value already is what is desired (no operation needed).</summary>
    bool Equivalent(string key, TValue desired, TValue applied);

    /// <summary>True when the change cannot be made in place and the item must be deleted and re-created.</summary>
    bool RequiresRecreate(string key, TValue oldValue, TValue newValue);

    /// <summary>Creates the item; throws on failure (<see cref="KvOperationException"/> tells whether retrying helps).</summary>
    void Create(string key, TValue value);

    /// <summary>Changes the item in place.</summary>
    void Update(string key, TValue oldValue, TValue newValue);

    /// <summary>Deletes the item; deleting a missing item must succeed.</summary>
    void Delete(string key, TValue value);

    /// <summary>
    /// Reads what really exists: values of (at least) the <paramref name="keysOfInterest"/> that exist, keyed
    /// like the desired items. Null when this descriptor cannot read back (its applied state is then trusted).
    /// </summary>
    /// <param name="keysOfInterest">The descriptor's known items with their desired (else applied) value.</param>
    /// <param name="context">Cache shared by all descriptors during one read-back.</param>
    IReadOnlyDictionary<string, TValue>? Retrieve(IReadOnlyDictionary<string, TValue> keysOfInterest, RetrieveContext context);
}
