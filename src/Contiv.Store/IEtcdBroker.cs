namespace Contiv.Store;

/// <summary>
/// Typed access to etcd for every Contiv component: reads, writes, conditional writes,
/// transactions, leases and resumable watches, with the connection state exposed so callers can
/// resync when etcd comes back. Keys and values are UTF-8 text; protobuf messages go through
/// <see cref="ProtoStoreExtensions"/>. Implemented by <see cref="EtcdBroker"/>; all members are thread-safe.
/// </summary>
/// <remarks>
/// Every request is retried with bounded exponential back-off while etcd is unreachable, for at most
/// <see cref="EtcdBrokerOptions.RetryTimeout"/>; then it throws <see cref="StoreUnavailableException"/>.
/// Unconditional puts and deletes are retried even when an attempt may have reached etcd (the
/// retry writes the same state again). See docs/store.md for the exact rules.
/// </remarks>
public interface IEtcdBroker : IAsyncDisposable, IDisposable
{
    /// <summary>Current connection state.</summary>
    StoreConnectionState ConnectionState { get; }

    /// <summary>
    /// Raised on every state change (on a thread-pool thread, never concurrently with itself).
    /// A transition <see cref="StoreConnectionState.Disconnected"/> → <see cref="StoreConnectionState.Connected"/>
    /// means etcd is back (possibly restarted or wiped): callers holding state derived from etcd resync.
    /// </summary>
    event EventHandler<ConnectionStateChangedEventArgs>? ConnectionStateChanged;

    /// <summary>Waits until the broker is <see cref="StoreConnectionState.Connected"/>.</summary>
    Task WaitConnectedAsync(CancellationToken cancellationToken = default);

    /// <summary>The store's current revision.</summary>
    Task<long> GetRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one key; null when it does not exist.</summary>
    Task<KeyValue?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists every key under <paramref name="prefix"/> with its value, in key order, fetching
    /// <see cref="EtcdBrokerOptions.ListPageSize"/> keys per request. All pages are read at the revision
    /// of the first page, so the listing is consistent even while others write.
    /// </summary>
    IAsyncEnumerable<KeyValue> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Lists the keys under <paramref name="prefix"/> without values (paged like <see cref="ListAsync"/>).</summary>
    IAsyncEnumerable<string> ListKeysAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Reads everything under <paramref name="prefix"/> at one revision (paged); the base for a resync.</summary>
    Task<PrefixSnapshot> SnapshotAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Writes a value; returns the revision of the write.</summary>
    Task<long> PutAsync(string key, string value, long leaseId = 0, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key; true when it existed.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Deletes every key under a prefix; returns how many were deleted. An empty prefix is rejected.</summary>
    Task<long> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Writes a value only when the key does not exist.</summary>
    Task<CasResult> PutIfAbsentAsync(string key, string value, long leaseId = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a value only when the key's mod revision is still <paramref name="expectedModRevision"/>
    /// (0 = the key must not exist). On conflict <see cref="CasResult.Current"/> holds the current entry.
    /// </summary>
    Task<CasResult> CompareAndSwapAsync(string key, string value, long expectedModRevision, long leaseId = 0, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key only when its mod revision is still <paramref name="expectedModRevision"/>.</summary>
    Task<CasResult> CompareAndDeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs an etcd transaction: when every condition holds, <paramref name="onSuccess"/> runs,
    /// otherwise <paramref name="onFailure"/>, atomically at one revision. Retried only when the
    /// request cannot have reached etcd; otherwise a connection failure throws
    /// <see cref="StoreUnavailableException"/> with <see cref="StoreUnavailableException.MayHaveBeenApplied"/> set.
    /// </summary>
    Task<TxnResult> TxnAsync(IReadOnlyList<TxnCompare> conditions, IReadOnlyList<TxnOp> onSuccess, IReadOnlyList<TxnOp>? onFailure = null, CancellationToken cancellationToken = default);

    /// <summary>Grants a lease with a time-to-live (whole seconds, at least 1); returns its id.</summary>
    Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Refreshes a lease once; returns its renewed time-to-live. Throws <see cref="LeaseExpiredException"/> when it is gone.</summary>
    Task<TimeSpan> KeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken = default);

    /// <summary>Revokes a lease, deleting every key attached to it. Revoking an unknown lease is not an error.</summary>
    Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default);

    /// <summary>Grants a lease and keeps it alive in the background until the returned handle is disposed (which revokes it).</summary>
    Task<StoreLease> AcquireLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches every key under <paramref name="prefix"/> from <paramref name="fromRevision"/>
    /// (0 = changes after now). Each change is yielded once, in revision order, with no gaps: when
    /// the connection breaks or etcd restarts, the watch is re-created from the revision after the last
    /// one seen. When etcd has compacted that revision away, the enumeration throws
    /// <see cref="WatchCompactedException"/> and the caller must resync. Ends only on cancellation
    /// (or broker disposal, as <see cref="OperationCanceledException"/>).
    /// </summary>
    IAsyncEnumerable<StoreEvent> WatchAsync(string prefix, long fromRevision = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Mirrors a prefix: first yields a <see cref="SyncUpdateKind.Resync"/> with a snapshot, then every
    /// change after it; whenever the watch hits compaction it yields a fresh snapshot and continues.
    /// The simplest correct way to keep local state equal to etcd.
    /// </summary>
    IAsyncEnumerable<SyncUpdate> SyncAsync(string prefix, CancellationToken cancellationToken = default);
}
