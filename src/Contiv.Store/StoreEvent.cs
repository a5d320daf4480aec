namespace Contiv.Store;

/// <summary>What happened to a key.</summary>
public enum StoreEventKind
{
    /// <summary>The key was created or its value replaced.</summary>
    Put,

    /// <summary>The key was deleted (explicitly or because its lease expired).</summary>
    Delete,
}

/// <summary>One change observed by a watch.</summary>
/// <param name="Kind">Put or delete.</param>
/// <param name="Key">The changed key.</param>
/// <param name="Current">
/// For a put, the new entry. For a delete, an entry with an empty value whose
/// <see cref="KeyValue.ModRevision"/> is the revision of the delete.
/// </param>
/// <param name="Previous">The entry before the change, when etcd still had it (null after compaction or for a create).</param>
public sealed record StoreEvent(StoreEventKind Kind, string Key, KeyValue Current, KeyValue? Previous)
{
    /// <summary>The revision at which the change happened.</summary>
    public long Revision => Current.ModRevision;
}

/// <summary>What a <see cref="IEtcdBroker.SyncAsync"/> item carries.</summary>
public enum SyncUpdateKind
{
    /// <summary>A full snapshot of the prefix: replace everything known under it with <see cref="SyncUpdate.Snapshot"/>.</summary>
    Resync,

    /// <summary>One change after the last snapshot: apply <see cref="SyncUpdate.Event"/>.</summary>
    Change,
}

/// <summary>
/// An item of <see cref="IEtcdBroker.SyncAsync"/>: either a full snapshot (first item, and again
/// whenever the watch could not be resumed because etcd compacted the history) or one change.
/// </summary>
public sealed record SyncUpdate(SyncUpdateKind Kind, PrefixSnapshot? Snapshot, StoreEvent? Event)
{
    /// <summary>Creates a resync item.</summary>
    public static SyncUpdate Resync(PrefixSnapshot snapshot) => new(SyncUpdateKind.Resync, snapshot, null);

    /// <summary>Creates a change item.</summary>
    public static SyncUpdate Change(StoreEvent change) => new(SyncUpdateKind.Change, null, change);
}
