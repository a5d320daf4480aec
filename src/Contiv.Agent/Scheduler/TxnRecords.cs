namespace Contiv.Agent.Scheduler;

/// <summary>How a transaction relates desired state to the world.</summary>
internal enum TxnKind
{
    /// <summary>Incremental change of some desired items.</summary>
    Update,

    /// <summary>Replace the whole desired state and correct the difference against what really exists (read back first).</summary>
    FullResync,

    /// <summary>Replace the whole desired state; trust the applied state (no read-back).</summary>
    UpstreamResync,

    /// <summary>Keep the desired state; read back what exists and correct the difference.</summary>
    DownstreamResync,
}

/// <summary>Operation performed on one item.</summary>
internal enum KvOp
{
    /// <summary>Created.</summary>
    Create,

    /// <summary>Updated in place.</summary>
    Update,

    /// <summary>Deleted.</summary>
    Delete,
}

/// <summary>One executed operation of a transaction.</summary>
/// <param name="Key">Item key.</param>
/// <param name="Operation">What was done.</param>
/// <param name="Item">New value for create/update; the deleted value for delete (values are never changed once handed to the scheduler).</param>
/// <param name="Error">Error text when the operation failed.</param>
/// <param name="Attempt">1 for the first attempt, higher for retries.</param>
/// <param name="IsRevert">True when performed while reverting the transaction.</param>
/// <param name="Cascade">True when the delete was forced because a dependency went away (the item stays desired and pending).</param>
/// <param name="DurationMs">How long the operation took, in milliseconds.</param>
internal sealed record KvOpRecord(string Key, KvOp Operation, object Item, string? Error, int Attempt, bool IsRevert, bool Cascade, double DurationMs)
{
    private string? _value;

    /// <summary>
    /// <see cref="Item"/> as JSON, formatted when first read (by the REST history): formatting every operation's
    /// value as it ran cost ≈ 3 % of the agent's CPU while pods were wired.
    /// </summary>
    public string Value => _value ??= ValueJson.Format(Item);
}

/// <summary>Record of one committed transaction (served by <c>/scheduler/txn-history</c>).</summary>
internal sealed record TxnRecord
{
    /// <summary>Sequence number (0 = first transaction since start).</summary>
    public required long SeqNum { get; init; }

    /// <summary>Transaction kind.</summary>
    public required TxnKind Kind { get; init; }

    /// <summary>What caused it (event description).</summary>
    public required string Description { get; init; }

    /// <summary>Start time (UTC).</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>End time (UTC).</summary>
    public DateTimeOffset End { get; set; }

    /// <summary>Whether the transaction was to be reverted on failure.</summary>
    public bool WithRevert { get; init; }

    /// <summary>Executed operations in order.</summary>
    public List<KvOpRecord> Operations { get; } = [];

    /// <summary>Final error, if any item failed.</summary>
    public string? Error { get; set; }
}

/// <summary>Outcome of a commit.</summary>
/// <param name="Record">The transaction's record.</param>
/// <param name="Failures">Keys whose last operation failed, with the error.</param>
internal sealed record TxnResult(TxnRecord Record, IReadOnlyDictionary<string, string> Failures)
{
    /// <summary>True when every operation succeeded.</summary>
    public bool Ok => Failures.Count == 0;
}

/// <summary>Retry policy of failed operations inside one commit.</summary>
/// <param name="MaxAttempts">Maximum number of retries after the first attempt (0 = no retry).</param>
/// <param name="Delay">Delay before the first retry.</param>
/// <param name="ExponentialBackoff">Double the delay after every retry.</param>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan Delay, bool ExponentialBackoff)
{
    /// <summary>No retries.</summary>
    public static RetryPolicy None { get; } = new(0, TimeSpan.Zero, false);
}
