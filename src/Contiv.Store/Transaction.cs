namespace Contiv.Store;

/// <summary>A condition of a transaction (<see cref="IEtcdBroker.TxnAsync"/>); all must hold for the success branch.</summary>
public abstract record TxnCompare(string Key)
{
    /// <summary>The key's mod revision equals <paramref name="modRevision"/> (0 = the key does not exist).</summary>
    public static TxnCompare ModRevisionIs(string key, long modRevision) => new ModRevisionCompare(key, modRevision);

    /// <summary>The key does not exist.</summary>
    public static TxnCompare Absent(string key) => new VersionCompare(key, 0, Equal: true);

    /// <summary>The key exists.</summary>
    public static TxnCompare Exists(string key) => new VersionCompare(key, 0, Equal: false);

    /// <summary>The key's value equals <paramref name="value"/> (false when the key does not exist).</summary>
    public static TxnCompare ValueIs(string key, string value) => new ValueCompare(key, value);

    internal sealed record ModRevisionCompare(string Key, long ModRevision) : TxnCompare(Key);

    internal sealed record VersionCompare(string Key, long Version, bool Equal) : TxnCompare(Key);

    internal sealed record ValueCompare(string Key, string Value) : TxnCompare(Key);
}

/// <summary>An operation of a transaction branch.</summary>
public abstract record TxnOp
{
    /// <summary>Puts a value (optionally attached to a lease).</summary>
    public static TxnOp Put(string key, string value, long leaseId = 0) => new PutOp(key, value, leaseId);

    /// <summary>Deletes one key.</summary>
    public static TxnOp Delete(string key) => new DeleteOp(key, IsPrefix: false);

    /// <summary>Deletes every key under a prefix.</summary>
    public static TxnOp DeletePrefix(string prefix) => new DeleteOp(prefix, IsPrefix: true);

    /// <summary>Reads one key (result in <see cref="TxnResult.Reads"/>).</summary>
    public static TxnOp Get(string key) => new GetOp(key);

    internal sealed record PutOp(string Key, string Value, long LeaseId) : TxnOp;

    internal sealed record DeleteOp(string Key, bool IsPrefix) : TxnOp;

    internal sealed record GetOp(string Key) : TxnOp;
}

/// <summary>Outcome of a transaction.</summary>
/// <param name="Succeeded">True when every condition held and the success branch ran; false when the failure branch ran.</param>
/// <param name="Revision">Store revision after the transaction.</param>
/// <param name="Reads">For every <see cref="TxnOp.Get"/> of the branch that ran, in order: the entry, or null when absent.</param>
public sealed record TxnResult(bool Succeeded, long Revision, IReadOnlyList<KeyValue?> Reads);
