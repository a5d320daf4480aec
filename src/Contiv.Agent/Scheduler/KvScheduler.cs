using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Contiv.Agent.Scheduler;

/// <summary>
/// Desired-state scheduler: holds the desired and the applied value of every item, and a commit makes
/// the applied state match the desired one — creating items only once their dependencies exist,
/// deleting dependents before what they depend on, re-creating items whose dependency came back,
/// retrying transient failures and optionally reverting a failed transaction. A full resync first reads
/// back what the data plane and Linux really hold and then corrects only the difference.
/// </summary>
public sealed class KvScheduler
{
    private readonly object _gate = new();
    private readonly List<IKvDescriptor> _descriptors = [];
    private readonly SortedDictionary<string, ItemState> _items = new(StringComparer.Ordinal);
    private readonly LinkedList<TxnRecord> _history = new();
    private readonly ILogger _log;
    private readonly Action<TimeSpan> _sleep;
    private long _seq;

    /// <summary>Creates a scheduler; <paramref name="sleep"/> is injectable so tests need not wait for retries.</summary>
    public KvScheduler(ILogger? log = null, Action<TimeSpan>? sleep = null)
    {
        _log = log ?? NullLogger.Instance;
        _sleep = sleep ?? Thread.Sleep;
    }

    /// <summary>How many transaction records are kept.</summary>
    public int HistoryLimit { get; set; } = 1000;

    /// <summary>Registered descriptors.</summary>
    public IReadOnlyList<IKvDescriptor> Descriptors
    {
        get
        {
            lock (_gate)
            {
                return [.. _descriptors];
            }
        }
    }

    /// <summary>Registers a descriptor; prefixes must not be equal.</summary>
    public void Register(IKvDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        lock (_gate)
        {
            if (_descriptors.Any(d => d.KeyPrefix == descriptor.KeyPrefix || d.Name == descriptor.Name))
            {
                throw new InvalidOperationException($"descriptor {descriptor.Name} ({descriptor.KeyPrefix}) is already registered");
            }

            _descriptors.Add(descriptor);
        }
    }

    /// <summary>Incremental transaction: <paramref name="changes"/> maps keys to new desired values (null = delete).</summary>
    public TxnResult Update(IReadOnlyDictionary<string, object?> changes, string description, bool revertOnFailure = false, RetryPolicy? retry = null)
        => Commit(TxnKind.Update, changes, description, revertOnFailure, retry ?? RetryPolicy.None);

    /// <summary>Resync transaction: <paramref name="desired"/> is the complete desired state (ignored for <see cref="TxnKind.DownstreamResync"/>).</summary>
    public TxnResult Resync(TxnKind kind, IReadOnlyDictionary<string, object>? desired, string description, RetryPolicy? retry = null)
    {
        if (kind == TxnKind.Update)
        {
            throw new ArgumentException("use Update for incremental transactions", nameof(kind));
        }

        var changes = desired?.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal) ?? [];
        return Commit(kind, changes, description, false, retry ?? RetryPolicy.None);
    }

    /// <summary>Current desired value of a key (null if none).</summary>
    public object? GetDesired(string key)
    {
        lock (_gate)
        {
            return _items.TryGetValue(key, out var s) ? s.Desired : null;
        }
    }

    /// <summary>Current applied value of a key (null if not applied).</summary>
    public object? GetApplied(string key)
    {
        lock (_gate)
        {
            return _items.TryGetValue(key, out var s) ? s.Applied : null;
        }
    }

    /// <summary>Desired (NB) items, optionally of one descriptor.</summary>
    public IReadOnlyDictionary<string, object> DumpDesired(string? descriptor = null) => Dump(descriptor, s => s.Desired);

    /// <summary>Applied ("internal") items, optionally of one descriptor.</summary>
    public IReadOnlyDictionary<string, object> DumpApplied(string? descriptor = null) => Dump(descriptor, s => s.Applied);

    /// <summary>Keys that are desired but not applied (waiting for a dependency or failed), with the reason.</summary>
    public IReadOnlyDictionary<string, string> DumpPending()
    {
        lock (_gate)
        {
            return _items.Values.Where(s => s.Desired is not null && s.Applied is null)
                .ToDictionary(s => s.Key, s => s.Error ?? "waiting for " + string.Join(", ", MissingDependencies(s)), StringComparer.Ordinal);
        }
    }

    /// <summary>What really exists (SB), read back now, optionally of one descriptor.</summary>
    public IReadOnlyDictionary<string, object> DumpRetrieved(string? descriptor = null)
    {
        lock (_gate)
        {
            var ctx = new RetrieveContext();
            var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
            foreach (var d in _descriptors.Where(d => descriptor is null || d.Name == descriptor))
            {
                var interest = _items.Values.Where(s => s.Descriptor == d).ToDictionary(s => s.Key, s => s.Desired ?? s.Applied, StringComparer.Ordinal);
                var got = d.Retrieve(interest, ctx);
                if (got is null)
                {
                    continue;
                }

                foreach (var (k, v) in got)
                {
                    result[k] = v;
                }
            }

            return result;
        }
    }

    /// <summary>Transaction history, oldest first.</summary>
    public IReadOnlyList<TxnRecord> History()
    {
        lock (_gate)
        {
            return [.. _history];
        }
    }

    private SortedDictionary<string, object> Dump(string? descriptor, Func<ItemState, object?> pick)
    {
        lock (_gate)
        {
            var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
            foreach (var s in _items.Values)
            {
                if ((descriptor is null || s.Descriptor.Name == descriptor) && pick(s) is { } v)
                {
                    result[s.Key] = v;
                }
            }

            return result;
        }
    }

    private TxnResult Commit(TxnKind kind, IReadOnlyDictionary<string, object?> changes, string description, bool revert, RetryPolicy retry)
    {
        lock (_gate)
        {
            var record = new TxnRecord { SeqNum = _seq++, Kind = kind, Description = description, Start = DateTimeOffset.UtcNow, WithRevert = revert };
            var previous = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var s in _items.Values)
            {
                previous[s.Key] = s.Desired;
            }

            try
            {
                SetDesired(kind, changes);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                RestoreDesired(previous);
                record.Error = e.Message;
                record.End = DateTimeOffset.UtcNow;
                AddHistory(record);
                return new TxnResult(record, new Dictionary<string, string> { ["*"] = e.Message });
            }

            if (kind is TxnKind.FullResync or TxnKind.DownstreamResync)
            {
                RetrieveAll(record);
            }

            // An incremental transaction touches only its own items and what depends on them; items that
            // failed earlier are retried by resyncs (healing), not dragged into unrelated transactions.
            HashSet<string>? scope = kind == TxnKind.Update ? ScopeOf(changes.Keys) : null;
            var failures = Execute(record, retry, isRevert: false, scope);
            if (failures.Count > 0 && revert)
            {
                _log.LogWarning("txn {Seq} ({Description}) failed ({Error}); reverting", record.SeqNum, description, Summarize(failures));
                RestoreDesired(previous);
                var revertFailures = Execute(record, RetryPolicy.None, isRevert: true, ScopeOf(changes.Keys));
                foreach (var (k, e) in revertFailures)
                {
                    _log.LogError("txn {Seq}: revert of {Key} failed: {Error}", record.SeqNum, k, e);
                }
            }

            record.Error = failures.Count == 0 ? null : Summarize(failures);
            record.End = DateTimeOffset.UtcNow;
            AddHistory(record);
            return new TxnResult(record, failures);
        }
    }

    private static string Summarize(IReadOnlyDictionary<string, string> failures)
        => string.Join("; ", failures.Select(f => $"{f.Key}: {f.Value}"));

    private void AddHistory(TxnRecord record)
    {
        _history.AddLast(record);
        while (_history.Count > HistoryLimit)
        {
            _history.RemoveFirst();
        }
    }

    private void RestoreDesired(Dictionary<string, object?> previous)
    {
        foreach (var s in _items.Values)
        {
            s.Desired = previous.TryGetValue(s.Key, out var v) ? v : null;
        }

        RebuildDerived();
    }

    private void SetDesired(TxnKind kind, IReadOnlyDictionary<string, object?> changes)
    {
        foreach (var key in changes.Keys)
        {
            _ = DescriptorFor(key);
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
    private void RebuildDerived()
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

    private void RetrieveAll(TxnRecord record)
    {
        var ctx = new RetrieveContext();
        foreach (var d in _descriptors)
        {
            var mine = _items.Values.Where(s => s.Descriptor == d).ToList();
            IReadOnlyDictionary<string, object>? got;
            try
            {
                got = d.Retrieve(mine.ToDictionary(s => s.Key, s => s.Desired ?? s.Applied, StringComparer.Ordinal), ctx);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Without a read-back the applied state is trusted; the difference is corrected on the next resync.
                _log.LogWarning("txn {Seq}: retrieve of {Descriptor} failed ({Error}); keeping the recorded applied state", record.SeqNum, d.Name, e.Message);
                continue;
            }

            if (got is null)
            {
                continue;
            }

            foreach (var s in mine)
            {
                s.Applied = got.TryGetValue(s.Key, out var v) ? v : null;
            }

            foreach (var (k, v) in got)
            {
                if (!_items.ContainsKey(k))
                {
                    if (!k.StartsWith(d.KeyPrefix, StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"descriptor {d.Name} retrieved key {k} outside its prefix {d.KeyPrefix}");
                    }

                    GetOrAdd(k).Applied = v;
                }
            }
        }
    }

    /// <summary>The changed keys plus their derived items.</summary>
    private HashSet<string> ScopeOf(IEnumerable<string> keys)
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

    private Dictionary<string, string> Execute(TxnRecord record, RetryPolicy retry, bool isRevert, HashSet<string>? scope)
    {
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        var delay = retry.Delay;
        for (var attempt = 1; ; attempt++)
        {
            failed.Clear();
            RunPasses(record, attempt, isRevert, failed, scope);
            if (failed.Count == 0 || attempt > retry.MaxAttempts)
            {
                break;
            }

            // Only transient failures are worth another attempt.
            if (!_items.Values.Any(s => failed.ContainsKey(s.Key) && s.LastFailureTransient))
            {
                break;
            }

            _log.LogInformation("txn {Seq}: {Count} operation(s) failed, retry {Attempt} in {Delay}", record.SeqNum, failed.Count, attempt, delay);
            _sleep(delay);
            if (retry.ExponentialBackoff)
            {
                delay *= 2;
            }
        }

        // Remove state of items that are neither desired nor applied any more.
        foreach (var s in _items.Values.Where(s => s.Desired is null && s.Applied is null).ToList())
        {
            _items.Remove(s.Key);
        }

        return failed;
    }

    private void RunPasses(TxnRecord record, int attempt, bool isRevert, Dictionary<string, string> failed, HashSet<string>? scope)
    {
        // Items that depend (by desired or applied value) on a key: lets an operation pull its dependents into the
        // scope without scanning every item. Values do not change during the transaction, so it stays valid.
        var reverse = scope is null ? null : AllDependents();
        var progress = true;
        while (progress)
        {
            progress = false;
            var dependents = AppliedDependents();
            foreach (var s in Candidates(scope))
            {
                if (failed.ContainsKey(s.Key))
                {
                    continue;
                }

                if (s.Applied is not null && NeedsRemoval(s))
                {
                    if (dependents.TryGetValue(s.Key, out var deps) && deps.Count > 0)
                    {
                        continue; // dependents first
                    }

                    var removed = s.Applied;
                    progress |= Do(record, s, KvOp.Delete, attempt, isRevert, failed, cascade: false, scope, reverse);
                    if (s.Applied is null)
                    {
                        foreach (var d in Dependencies(s, removed))
                        {
                            dependents.GetValueOrDefault(d)?.Remove(s);
                        }
                    }
                }
                else if (s.Desired is not null && DependenciesMet(s, s.Desired))
                {
                    if (s.Applied is null)
                    {
                        progress |= Do(record, s, KvOp.Create, attempt, isRevert, failed, cascade: false, scope, reverse);
                    }
                    else if (!s.Descriptor.Equivalent(s.Key, s.Desired, s.Applied))
                    {
                        progress |= Do(record, s, KvOp.Update, attempt, isRevert, failed, cascade: false, scope, reverse);
                    }
                }
            }

            if (progress)
            {
                continue;
            }

            // Deadlock: a removal is blocked by applied dependents that cannot be updated away from it.
            // Those dependents are deleted (and stay desired, pending until their dependency is back).
            foreach (var s in Candidates(scope))
            {
                if (s.Applied is null || failed.ContainsKey(s.Key))
                {
                    continue;
                }

                if (NeedsRemoval(s))
                {
                    foreach (var b in AppliedDependents().GetValueOrDefault(s.Key, []).ToList())
                    {
                        progress |= CascadeDelete(record, b, attempt, isRevert, failed, scope, reverse);
                    }
                }
                else if (s.Desired is not null && !DependenciesMet(s, s.Applied))
                {
                    // Applied items whose dependency is gone are removed as well.
                    progress |= CascadeDelete(record, s, attempt, isRevert, failed, scope, reverse);
                }
            }
        }
    }

    /// <summary>The items a pass visits, in key order: all of them, or those in the transaction's scope.</summary>
    private List<ItemState> Candidates(HashSet<string>? scope)
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

    /// <summary>Map from a key to the items whose desired or applied value depends on it.</summary>
    private Dictionary<string, List<ItemState>> AllDependents()
    {
        var map = new Dictionary<string, List<ItemState>>(StringComparer.Ordinal);
        foreach (var s in _items.Values)
        {
            foreach (var value in (ReadOnlySpan<object?>)[s.Desired, s.Applied])
            {
                if (value is null)
                {
                    continue;
                }

                foreach (var d in Dependencies(s, value))
                {
                    if (!map.TryGetValue(d, out var list))
                    {
                        list = [];
                        map[d] = list;
                    }

                    if (!list.Contains(s))
                    {
                        list.Add(s);
                    }
                }
            }
        }

        return map;
    }

    /// <summary>Deletes an item after (recursively) deleting everything applied that depends on it.</summary>
    private bool CascadeDelete(TxnRecord record, ItemState s, int attempt, bool isRevert, Dictionary<string, string> failed, HashSet<string>? scope,
        Dictionary<string, List<ItemState>>? reverse)
    {
        if (s.Applied is null || failed.ContainsKey(s.Key))
        {
            return false;
        }

        foreach (var d in AppliedDependents().GetValueOrDefault(s.Key, []).ToList())
        {
            CascadeDelete(record, d, attempt, isRevert, failed, scope, reverse);
        }

        if (AppliedDependents().ContainsKey(s.Key))
        {
            return false; // a dependent could not be deleted
        }

        return Do(record, s, KvOp.Delete, attempt, isRevert, failed, cascade: s.Desired is not null, scope, reverse);
    }

    /// <summary>True when the applied item must go: not desired, or desired with a value that cannot be reached in place.</summary>
    private static bool NeedsRemoval(ItemState s)
        => s.Applied is not null && (s.Desired is null
            || (!s.Descriptor.Equivalent(s.Key, s.Desired, s.Applied) && s.Descriptor.RequiresRecreate(s.Key, s.Applied, s.Desired)));

    private bool DependenciesMet(ItemState s, object value) => !Dependencies(s, value).Any(d => !_items.TryGetValue(d, out var ds) || ds.Applied is null || ds.Desired is null);

    private IEnumerable<string> MissingDependencies(ItemState s)
        => s.Desired is null ? [] : Dependencies(s, s.Desired).Where(d => !_items.TryGetValue(d, out var ds) || ds.Applied is null);

    private static IEnumerable<string> Dependencies(ItemState s, object value)
    {
        var deps = s.Descriptor.Dependencies(s.Key, value);
        return s.ParentKey is null ? deps : deps.Append(s.ParentKey);
    }

    /// <summary>Map from a key to the applied items whose applied value depends on it.</summary>
    private Dictionary<string, List<ItemState>> AppliedDependents()
    {
        var map = new Dictionary<string, List<ItemState>>(StringComparer.Ordinal);
        foreach (var s in _items.Values)
        {
            if (s.Applied is null)
            {
                continue;
            }

            foreach (var d in Dependencies(s, s.Applied))
            {
                if (!map.TryGetValue(d, out var list))
                {
                    list = [];
                    map[d] = list;
                }

                list.Add(s);
            }
        }

        return map;
    }

    private bool Do(TxnRecord record, ItemState s, KvOp op, int attempt, bool isRevert, Dictionary<string, string> failed, bool cascade, HashSet<string>? scope,
        Dictionary<string, List<ItemState>>? reverse)
    {
        var value = op == KvOp.Delete ? s.Applied! : s.Desired!;
        string? error = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            switch (op)
            {
                case KvOp.Create:
                    s.Descriptor.Create(s.Key, value);
                    s.Applied = value;
                    break;
                case KvOp.Update:
                    s.Descriptor.Update(s.Key, s.Applied!, value);
                    s.Applied = value;
                    break;
                case KvOp.Delete:
                    s.Descriptor.Delete(s.Key, value);
                    s.Applied = null;
                    break;
            }

            s.Error = null;
            if (scope is not null && reverse is not null && reverse.TryGetValue(s.Key, out var dependentItems))
            {
                // Items depending on this one may now be created, or must follow its removal.
                foreach (var other in dependentItems)
                {
                    scope.Add(other.Key);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e.Message;
            s.Error = error;
            s.LastFailureTransient = e is not KvOperationException { Transient: false };
            failed[s.Key] = error;
            _log.LogWarning("txn {Seq}: {Op} {Key} failed: {Error}", record.SeqNum, op, s.Key, error);
        }

        var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        record.Operations.Add(new KvOpRecord(s.Key, op, value, error, attempt, isRevert, cascade, ms));
        return error is null;
    }

    private ItemState GetOrAdd(string key)
    {
        if (!_items.TryGetValue(key, out var s))
        {
            s = new ItemState(key, DescriptorFor(key));
            _items[key] = s;
        }

        return s;
    }

    private IKvDescriptor DescriptorFor(string key)
    {
        IKvDescriptor? best = null;
        foreach (var d in _descriptors)
        {
            if (key.StartsWith(d.KeyPrefix, StringComparison.Ordinal) && (best is null || d.KeyPrefix.Length > best.KeyPrefix.Length))
            {
                best = d;
            }
        }

        return best ?? throw new ArgumentException($"no descriptor handles key {key}", nameof(key));
    }

    private sealed class ItemState(string key, IKvDescriptor descriptor)
    {
        public string Key { get; } = key;

        public IKvDescriptor Descriptor { get; } = descriptor;

        public object? Desired { get; set; }

        public object? Applied { get; set; }

        public string? ParentKey { get; set; }

        public string? Error { get; set; }

        public bool LastFailureTransient { get; set; } = true;
    }
}
