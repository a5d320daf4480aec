namespace Contiv.Agent.Scheduler;

/// <summary>
/// Dependencies between items: what an item's value needs (its descriptor's dependencies plus its parent, for a
/// derived item) and, inverted, which items depend on a key.
/// </summary>
/// <remarks>
/// The inverted view is kept current as values change (<see cref="ItemTable"/> reports every change of an item's
/// desired value, applied value or parent), so asking for a key's dependents costs what that key has, not a scan of
/// every item: a transaction's work follows its scope. Each item remembers the dependencies it was indexed under,
/// so unindexing never depends on the descriptor answering the same way twice. Dependents are returned in key
/// order, as the scans this replaced returned them.
/// </remarks>
internal sealed class DependencyIndex(ItemTable items)
{
    private static readonly IComparer<ItemState> ByKey = Comparer<ItemState>.Create((a, b) => string.CompareOrdinal(a.Key, b.Key));

    /// <summary>Key → items whose desired value depends on it.</summary>
    private readonly Dictionary<string, SortedSet<ItemState>> _byDesired = new(StringComparer.Ordinal);

    /// <summary>Key → items whose applied value depends on it.</summary>
    private readonly Dictionary<string, SortedSet<ItemState>> _byApplied = new(StringComparer.Ordinal);

    /// <summary>Keys <paramref name="value"/> (the item's desired or applied value) depends on.</summary>
    public static IEnumerable<string> Of(ItemState s, object value)
    {
        var deps = s.Descriptor.Dependencies(s.Key, value);
        return s.ParentKey is null ? deps : deps.Append(s.ParentKey);
    }

    /// <summary>True when every dependency of <paramref name="value"/> is both desired and applied.</summary>
    public bool Met(ItemState s, object value)
    {
        foreach (var d in DependenciesOf(s, value))
        {
            if (!items.TryGet(d, out var ds) || ds.Applied is null || ds.Desired is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Dependencies of the desired value that are not applied (for the pending dump).</summary>
    public IEnumerable<string> Missing(ItemState s)
        => s.Desired is null ? [] : DependenciesOf(s, s.Desired).Where(d => !items.TryGet(d, out var ds) || ds.Applied is null);

    /// <summary>Items whose desired or applied value depends on <paramref name="key"/>, in key order (a copy).</summary>
    public List<ItemState> DesiredOrAppliedDependents(string key)
    {
        _byDesired.TryGetValue(key, out var desired);
        _byApplied.TryGetValue(key, out var applied);
        if (desired is null || desired.Count == 0)
        {
            return applied is null ? [] : [.. applied];
        }

        if (applied is null || applied.Count == 0)
        {
            return [.. desired];
        }

        // Merge of two key-ordered sets; an item in both appears once.
        var merged = new List<ItemState>(desired.Count + applied.Count);
        using var a = desired.GetEnumerator();
        using var b = applied.GetEnumerator();
        var hasA = a.MoveNext();
        var hasB = b.MoveNext();
        while (hasA || hasB)
        {
            var c = !hasA ? 1 : !hasB ? -1 : string.CompareOrdinal(a.Current.Key, b.Current.Key);
            if (c <= 0)
            {
                merged.Add(a.Current);
                hasA = a.MoveNext();
                if (c == 0)
                {
                    hasB = b.MoveNext();
                }
            }
            else
            {
                merged.Add(b.Current);
                hasB = b.MoveNext();
            }
        }

        return merged;
    }

    /// <summary>Applied items whose applied value depends on <paramref name="key"/>, in key order (a copy).</summary>
    public List<ItemState> AppliedDependents(string key)
        => _byApplied.TryGetValue(key, out var set) ? [.. set] : [];

    /// <summary>True when some applied item's applied value depends on <paramref name="key"/>.</summary>
    public bool HasAppliedDependents(string key) => _byApplied.TryGetValue(key, out var set) && set.Count > 0;

    /// <summary>Re-indexes the item's desired value (after it or the item's parent changed).</summary>
    public void ReindexDesired(ItemState s)
        => s.IndexedDesiredDependencies = Reindex(_byDesired, s, s.IndexedDesiredDependencies, s.Desired);

    /// <summary>Re-indexes the item's applied value (after it or the item's parent changed).</summary>
    public void ReindexApplied(ItemState s)
        => s.IndexedAppliedDependencies = Reindex(_byApplied, s, s.IndexedAppliedDependencies, s.Applied);

    /// <summary>The dependencies as indexed when <paramref name="value"/> is the item's current value (no descriptor call).</summary>
    private static IEnumerable<string> DependenciesOf(ItemState s, object value)
        => ReferenceEquals(value, s.Desired) ? s.IndexedDesiredDependencies
            : ReferenceEquals(value, s.Applied) ? s.IndexedAppliedDependencies
            : Of(s, value);

    private static string[] Reindex(Dictionary<string, SortedSet<ItemState>> map, ItemState s, string[] old, object? value)
    {
        string[] deps = value is null ? [] : Of(s, value).Distinct(StringComparer.Ordinal).ToArray();
        if (deps.AsSpan().SequenceEqual(old))
        {
            return old; // the usual case (an item created, updated or read back): nothing moves
        }

        foreach (var d in old)
        {
            if (map.TryGetValue(d, out var set))
            {
                set.Remove(s);
                if (set.Count == 0)
                {
                    map.Remove(d);
                }
            }
        }

        foreach (var d in deps)
        {
            if (!map.TryGetValue(d, out var set))
            {
                set = new SortedSet<ItemState>(ByKey);
                map[d] = set;
            }

            set.Add(s);
        }

        return deps;
    }
}
