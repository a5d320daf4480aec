using System.Diagnostics.CodeAnalysis;

namespace Contiv.Agent.Scheduler;

/// <summary>
/// The registered descriptors and the state of every item, in key order (passes visit items in that order, which
/// makes the order of operations deterministic). Keys are owned by the descriptor with the longest matching prefix.
/// </summary>
internal sealed class ItemTable
{
    private readonly List<RegisteredDescriptor> _descriptors = [];
    private readonly SortedDictionary<string, ItemState> _items = new(StringComparer.Ordinal);

    public IReadOnlyList<RegisteredDescriptor> Descriptors => _descriptors;

    /// <summary>All items in key order (do not add or remove while enumerating).</summary>
    public IEnumerable<ItemState> All => _items.Values;

    public void Register(RegisteredDescriptor descriptor)
    {
        foreach (var d in _descriptors)
        {
            if (d.KeyPrefix == descriptor.KeyPrefix || d.Name == descriptor.Name)
            {
                throw new InvalidOperationException($"descriptor {descriptor.Name} ({descriptor.KeyPrefix}) is already registered");
            }
        }

        _descriptors.Add(descriptor);
    }

    public bool TryGet(string key, [MaybeNullWhen(false)] out ItemState state) => _items.TryGetValue(key, out state);

    public bool Contains(string key) => _items.ContainsKey(key);

    public ItemState GetOrAdd(string key)
    {
        if (!_items.TryGetValue(key, out var s))
        {
            s = new ItemState(key, DescriptorFor(key));
            _items[key] = s;
        }

        return s;
    }

    public RegisteredDescriptor DescriptorFor(string key)
    {
        RegisteredDescriptor? best = null;
        foreach (var d in _descriptors)
        {
            if (key.StartsWith(d.KeyPrefix, StringComparison.Ordinal) && (best is null || d.KeyPrefix.Length > best.KeyPrefix.Length))
            {
                best = d;
            }
        }

        return best ?? throw new ArgumentException($"no descriptor handles key {key}", nameof(key));
    }

    /// <summary>Desired value of every item, to restore after a failed or reverted transaction.</summary>
    public Dictionary<string, object?> SnapshotDesired()
    {
        var previous = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var s in _items.Values)
        {
            previous[s.Key] = s.Desired;
        }

        return previous;
    }

    public void RestoreDesired(Dictionary<string, object?> previous)
    {
        foreach (var s in _items.Values)
        {
            s.Desired = previous.TryGetValue(s.Key, out var v) ? v : null;
        }

        RebuildDerived();
    }

    /// <summary>Applies a transaction's desired values; throws (naming the key) for unknown prefixes, wrong value types and derived items.</summary>
    public void SetDesired(TxnKind kind, IReadOnlyDictionary<string, object?> changes)
    {
        foreach (var (key, value) in changes)
        {
            var descriptor = DescriptorFor(key);
            if (value is not null)
            {
                descriptor.Check(key, value);
            }
        }

        switch (kind)
        {
            case TxnKind.Update:
                foreach (var (key, value) in changes)
                {
                    if (_items.TryGetValue(key, out var existing) && existing.ParentKey is not null)
                    {
                        throw new InvalidOperationException($"{key} is derived from {existing.ParentKey} and cannot be changed directly");
                    }

                    GetOrAdd(key).Desired = value;
                }

                break;
            case TxnKind.FullResync or TxnKind.UpstreamResync:
                foreach (var s in _items.Values)
                {
                    s.Desired = null;
                }

                foreach (var (key, value) in changes)
                {
                    GetOrAdd(key).Desired = value;
                }

                break;
            case TxnKind.DownstreamResync:
                break;
        }

        RebuildDerived();
    }

    /// <summary>Recomputes derived items from the desired values of their parents.</summary>
    public void RebuildDerived()
    {
        foreach (var s in _items.Values.Where(s => s.ParentKey is not null))
        {
            s.Desired = null;
        }

        var queue = new Queue<ItemState>(_items.Values.Where(s => s.Desired is not null && s.ParentKey is null));
        while (queue.Count > 0)
        {
            var parent = queue.Dequeue();
            foreach (var (dk, dv) in parent.Descriptor.DerivedItems(parent.Key, parent.Desired!))
            {
                var child = GetOrAdd(dk);
                child.Descriptor.Check(dk, dv);
                child.ParentKey = parent.Key;
                child.Desired = dv;
                queue.Enqueue(child);
            }
        }

        foreach (var s in _items.Values.Where(s => s.ParentKey is not null && s.Desired is null && s.Applied is null).ToList())
        {
            _items.Remove(s.Key);
        }
    }

    /// <summary>Forgets items that are neither desired nor applied any more.</summary>
    public void RemoveUnused()
    {
        foreach (var s in _items.Values.Where(s => s.Desired is null && s.Applied is null).ToList())
        {
            _items.Remove(s.Key);
        }
    }

    /// <summary>The items a pass visits, in key order: all of them, or those in the transaction's scope.</summary>
    public List<ItemState> Candidates(HashSet<string>? scope)
    {
        if (scope is null)
        {
            return [.. _items.Values];
        }

        var list = new List<ItemState>(scope.Count);
        foreach (var key in scope)
        {
            if (_items.TryGetValue(key, out var s))
            {
                list.Add(s);
            }
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    /// <summary>The changed keys plus their derived items.</summary>
    public HashSet<string> ScopeOf(IEnumerable<string> keys)
    {
        var scope = new HashSet<string>(keys, StringComparer.Ordinal);
        foreach (var s in _items.Values)
        {
            if (s.ParentKey is not null && scope.Contains(s.ParentKey))
            {
                scope.Add(s.Key);
            }
        }

        return scope;
    }
}
