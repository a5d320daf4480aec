namespace Contiv.Agent.Controller;

/// <summary>What one handler did for one event.</summary>
/// <param name="Handler">Handler name.</param>
/// <param name="Revert">True when this entry records a revert.</param>
/// <param name="Change">Change description returned by the handler.</param>
/// <param name="Error">Error, if the handler failed.</param>
internal sealed record HandlerRecord(string Handler, bool Revert, string Change, string? Error);

/// <summary>History record of one processed event (served by <c>/controller/event-history</c>).</summary>
internal sealed record EventRecord
{
    /// <summary>Sequence number; 0 = the startup resync.</summary>
    public required long SeqNum { get; init; }

    /// <summary>Processing start (UTC).</summary>
    public required DateTimeOffset ProcessingStart { get; init; }

    /// <summary>Processing end (UTC).</summary>
    public DateTimeOffset ProcessingEnd { get; set; }

    /// <summary>Pushed by a handler while another event was processed.</summary>
    public bool IsFollowUp { get; init; }

    /// <summary>Sequence number of the event that pushed this follow-up.</summary>
    public long? FollowUpTo { get; init; }

    /// <summary>Event name.</summary>
    public required string Name { get; init; }

    /// <summary>Event description.</summary>
    public required string Description { get; init; }

    /// <summary>Processing method.</summary>
    public required EventMethod Method { get; init; }

    /// <summary>Handlers called, in order.</summary>
    public List<HandlerRecord> Handlers { get; } = [];

    /// <summary>Error of the scheduler transaction.</summary>
    public string? TxnError { get; set; }

    /// <summary>Sequence number of the scheduler transaction (see /scheduler/txn-history).</summary>
    public long? TxnSeqNum { get; set; }

    /// <summary>Number of scheduler operations executed.</summary>
    public int TxnOperations { get; set; }
}
