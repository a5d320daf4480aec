namespace Contiv.Store;

/// <summary>An etcd request failed for a reason that retrying will not fix (bad request, permission, …).</summary>
public class StoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public StoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// etcd stayed unreachable for longer than <see cref="EtcdBrokerOptions.RetryTimeout"/>, or a
/// non-idempotent request failed after it may have reached etcd (<see cref="MayHaveBeenApplied"/>).
/// </summary>
public sealed class StoreUnavailableException : StoreException
{
    /// <summary>Creates the exception.</summary>
    public StoreUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a write whose fate is unknown.</summary>
    public StoreUnavailableException(string message, bool mayHaveBeenApplied, Exception innerException)
        : base(message, innerException) => MayHaveBeenApplied = mayHaveBeenApplied;

    /// <summary>True when a write failed after it was sent: etcd may or may not have applied it.</summary>
    public bool MayHaveBeenApplied { get; }
}

/// <summary>
/// A watch could not continue because etcd compacted away the revisions it needed. The caller
/// must resync: list the prefix (<see cref="IEtcdBroker.SnapshotAsync"/>) and watch again from the
/// snapshot's revision + 1 — or use <see cref="IEtcdBroker.SyncAsync"/>, which does exactly that.
/// </summary>
public sealed class WatchCompactedException : StoreException
{
    /// <summary>Creates the exception.</summary>
    public WatchCompactedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WatchCompactedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public WatchCompactedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a watch on <paramref name="prefix"/>.</summary>
    public WatchCompactedException(string prefix, long requestedRevision, long compactRevision)
        : base($"watch on prefix '{prefix}' cannot resume at revision {requestedRevision}: etcd compacted history up to revision {compactRevision}; resync required")
    {
        Prefix = prefix;
        RequestedRevision = requestedRevision;
        CompactRevision = compactRevision;
    }

    /// <summary>Creates the exception for a store whose revision went backwards (wiped or restored from a backup).</summary>
    public WatchCompactedException(string prefix, long requestedRevision, long storeRevision, bool storeReset)
        : base(storeReset
            ? $"watch on prefix '{prefix}' cannot resume at revision {requestedRevision}: etcd is at revision {storeRevision} (wiped or restored); resync required"
            : $"watch on prefix '{prefix}' cannot resume at revision {requestedRevision}: etcd compacted history up to revision {storeRevision}; resync required")
    {
        Prefix = prefix;
        RequestedRevision = requestedRevision;
        CompactRevision = storeRevision;
        StoreReset = storeReset;
    }

    /// <summary>True when etcd's revision went backwards (wiped or restored) rather than compacted.</summary>
    public bool StoreReset { get; }

    /// <summary>The watched prefix.</summary>
    public string Prefix { get; } = string.Empty;

    /// <summary>The revision the watch needed to start from.</summary>
    public long RequestedRevision { get; }

    /// <summary>The oldest revision etcd still has (its compaction point).</summary>
    public long CompactRevision { get; }
}

/// <summary>A lease no longer exists in etcd (expired or revoked); keys attached to it are gone.</summary>
public sealed class LeaseExpiredException : StoreException
{
    /// <summary>Creates the exception.</summary>
    public LeaseExpiredException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LeaseExpiredException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public LeaseExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a lease id.</summary>
    public LeaseExpiredException(long leaseId)
        : base($"lease {leaseId} (0x{leaseId:x}) has expired or was revoked")
        => LeaseId = leaseId;

    /// <summary>The lease.</summary>
    public long LeaseId { get; }
}
