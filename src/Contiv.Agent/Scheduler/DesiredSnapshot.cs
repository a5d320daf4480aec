namespace Contiv.Agent.Scheduler;

/// <summary>Desired values saved before a transaction, to restore after it failed or was reverted.</summary>
/// <param name="Values">Key → desired value before the transaction (null: none).</param>
/// <param name="Partial">True when only the keys in <paramref name="Values"/> were saved (an incremental transaction).</param>
internal sealed record DesiredSnapshot(Dictionary<string, object?> Values, bool Partial);
