using System.Diagnostics.CodeAnalysis;

namespace Contiv.Agent.Scheduler;

/// <summary>
/// The registered descriptors and the state of every item, in key order (passes visit items in that order, which
/// makes the order of operations deterministic). Keys are owned by the descriptor with the longest matching prefix.
/// </summary>
/// <remarks>
/// Items report their changes here (<see cref="ItemState"/>), which keeps the dependency index, the parent → derived
/// items map and the set of touched items current: an incremental transaction rebuilds only its own items' derived
/// items, computes its scope from the map and forgets unused items among those it touched.
/// </remarks>
internal sealed class ItemTable
{
    private readonly List<RegisteredDescriptor> _descriptors = [];
    private readonly SortedDictionary<string, ItemState> _items = new(StringComparer.Ordinal);

    /// <summary>Parent key → its derived items.</summary>
    private readonly Dictionary<string, HashSet<ItemState>> _children = new(StringComparer.Ordinal);

    /// <summary>Items created or changed since the last <see cref="RemoveUnused"/> (the only ones that can be unused).</summary>
    private readonly HashSet<ItemState> _touched = [];

    public ItemTable()
    {
        Dependencies = new DependencyIndex(this);
    }

    /// <summary>Who depends on what, kept current as items change.</summary>
    public DependencyIndex Dependencies { get; }

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
            s = new ItemState(key, DescriptorFor(key), this);
            _items[key] = s;
            _touched.Add(s);
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

    /// <summary>
    /// Desired values to restore after a failed or reverted transaction: of the <paramref name="keys"/> a transaction
    /// changes (an incremental transaction changes nothing else but their derived items, which are recomputed), or of
    /// every item when <paramref name="keys"/> is null.
    /// </summary>
    public DesiredSnapshot SnapshotDesired(IEnumerable<string>? keys)
    {
        var previous = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (keys is null)
        {
            foreach (var s in _items.Values)
            {
                previous[s.Key] = s.Desired;
            }
        }
        else
        {
            foreach (var key in keys)
            {
                previous[key] = _items.TryGetValue(key, out var s) ? s.Desired : null;
            }
        }

        return new DesiredSnapshot(previous, Partial: keys is not null);
    }

    public void RestoreDesired(DesiredSnapshot snapshot)
    {
        if (snapshot.Partial)
        {
            foreach (var (key, value) in snapshot.Values)
            {
                if (_items.TryGetValue(key, out var s) && s.ParentKey is null)
                {
                    s.Desired = value;
                }
            }

            RebuildDerived(snapshot.Values.Keys);
            return;
        }

        foreach (var s in _items.Values)
        {
            s.Desired = snapshot.Values.TryGetValue(s.Key, out var v) ? v : null;
        }

        RebuildDerived(null);
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

                // Only the changed items' derived items can change.
                RebuildDerived(changes.Keys);
                return;
            case TxnKind.FullResync or TxnKind.UpstreamResync:
                // Items the new state keeps are set once below (not cleared first: each change re-indexes).
                foreach (var s in _items.Values)
                {
                    if (!changes.ContainsKey(s.Key))
                    {
                        s.Desired = null;
                    }
                }

                foreach (var (key, value) in changes)
                {
                    GetOrAdd(key).Desired = value;
                }

                break;
            case TxnKind.DownstreamResync:
                break;
        }

        RebuildDerived(null);
    }

    /// <summary>
    /// Recomputes derived items from the desired values of their parents: of every item (<paramref name="roots"/>
    /// null), or only below the given (non-derived) keys.
    /// </summary>
    public void RebuildDerived(IEnumerable<string>? roots)
    {
        if (roots is null)
        {
            foreach (var s in _items.Values.Where(s => s.ParentKey is not null))
            {
                s.Desired = null;
            }

            Derive(new Queue<ItemState>(_items.Values.Where(s => s.Desired is not null && s.ParentKey is null)), null);
            foreach (var s in _items.Values.Where(s => s.ParentKey is not null && s.Desired is null && s.Applied is null).ToList())
            {
                Remove(s);
            }

            return;
        }

        // Clear what the roots derived (transitively), then derive again from the roots, in key order as a full
        // rebuild would.
        var rootList = roots.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var visited = new List<ItemState>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(rootList);
        while (stack.Count > 0)
        {
            if (!_children.TryGetValue(stack.Pop(), out var children))
            {
                continue;
            }

            foreach (var child in children.ToList())
            {
                if (seen.Add(child.Key))
                {
                    child.Desired = null;
                    visited.Add(child);
                    stack.Push(child.Key);
                }
            }
        }

        var queue = new Queue<ItemState>();
        foreach (var key in rootList)
        {
            if (_items.TryGetValue(key, out var s) && s.Desired is not null && s.ParentKey is null)
            {
                queue.Enqueue(s);
            }
        }

        Derive(queue, visited);
        foreach (var s in visited)
        {
            if (s.ParentKey is not null && s.Desired is null && s.Applied is null)
            {
                Remove(s);
            }
        }
    }

    /// <summary>Forgets items that are neither desired nor applied any more (only items changed since the last call can be).</summary>
    public void RemoveUnused()
    {
        foreach (var s in _touched.ToList())
        {
            if (s.Desired is null && s.Applied is null)
            {
                Remove(s);
            }
        }

        _touched.Clear();
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

    /// <summary>The changed keys plus their derived items (transitively).</summary>
    public HashSet<string> ScopeOf(IEnumerable<string> keys)
    {
        var scope = new HashSet<string>(keys, StringComparer.Ordinal);
        var stack = new Stack<string>(scope);
        while (stack.Count > 0)
        {
            if (_children.TryGetValue(stack.Pop(), out var children))
            {
                foreach (var child in children)
                {
                    if (scope.Add(child.Key))
                    {
                        stack.Push(child.Key);
                    }
                }
            }
        }

        return scope;
    }

    /// <summary>An item's desired value changed: re-index it.</summary>
    internal void OnDesiredChanged(ItemState s)
    {
        Dependencies.ReindexDesired(s);
        _touched.Add(s);
    }

    /// <summary>An item's applied value changed: re-index it.</summary>
    internal void OnAppliedChanged(ItemState s)
    {
        Dependencies.ReindexApplied(s);
        _touched.Add(s);
    }

    /// <summary>An item's parent changed: it is a child of another key, and its values depend on the new parent.</summary>
    internal void OnParentChanged(ItemState s, string? oldParent)
    {
        if (oldParent is not null && _children.TryGetValue(oldParent, out var old))
        {
            old.Remove(s);
            if (old.Count == 0)
            {
                _children.Remove(oldParent);
            }
        }

        if (s.ParentKey is not null)
        {
            if (!_children.TryGetValue(s.ParentKey, out var now))
            {
                now = [];
                _children[s.ParentKey] = now;
            }

            now.Add(s);
        }

        Dependencies.ReindexDesired(s);
        Dependencies.ReindexApplied(s);
    }

    private void Derive(Queue<ItemState> queue, List<ItemState>? visited)
    {
        while (queue.Count > 0)
        {
            var parent = queue.Dequeue();
            foreach (var (dk, dv) in parent.Descriptor.DerivedItems(parent.Key, parent.Desired!))
            {
                var child = GetOrAdd(dk);
                child.Descriptor.Check(dk, dv);
                child.ParentKey = parent.Key;
                child.Desired = dv;
                visited?.Add(child);
                queue.Enqueue(child);
            }
        }
    }

    private void Remove(ItemState s)
    {
        _items.Remove(s.Key);
        _touched.Remove(s);
        if (s.ParentKey is not null && _children.TryGetValue(s.ParentKey, out var siblings))
        {
            siblings.Remove(s);
            if (siblings.Count == 0)
            {
                _children.Remove(s.ParentKey);
            }
        }
    }
}
