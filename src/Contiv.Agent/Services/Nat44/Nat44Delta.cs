namespace Contiv.Agent.Services.Nat44;

/// <summary>
/// The NAT44 objects an incremental update changes: objects to create or update in place (same key, new
/// value) and keys to delete. Objects whose desired value did not change are in neither list.
/// </summary>
/// <param name="Puts">New or changed objects, ordered by key.</param>
/// <param name="Deletes">Keys of objects no longer desired, ordered.</param>
internal sealed record Nat44Delta(IReadOnlyList<INatObject> Puts, IReadOnlyList<string> Deletes)
{
    /// <summary>The empty delta.</summary>
    public static Nat44Delta None { get; } = new([], []);

    /// <summary>True when nothing changes.</summary>
    public bool IsEmpty => Puts.Count == 0 && Deletes.Count == 0;
}

/// <summary>Two or more services claim the same external address, port and protocol.</summary>
/// <param name="Key">Key of the contested mapping.</param>
/// <param name="Winner">Service whose mapping is installed (the first by namespace/name: independent of event order).</param>
/// <param name="Losers">Services whose mapping for that key is not installed.</param>
internal sealed record Nat44MappingConflict(string Key, ServiceId Winner, IReadOnlyList<ServiceId> Losers)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Key}: claimed by {Winner} and {string.Join(", ", Losers)}; {Winner} wins";
}
