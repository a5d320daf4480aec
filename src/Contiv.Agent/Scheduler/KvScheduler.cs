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
        // scope (and into the pending batch) without scanning every item. Values do not change during the
        // transaction, so it stays valid.
        var pass = new Pass(record, attempt, isRevert, failed, scope, AllDependents());
        var progress = true;
        while (progress)
        {
            progress = false;
            pass.Dependents = AppliedDependents();
            var candidates = Candidates(scope);

            // Batchable items first: a pod's data plane items gather in one batch before the Linux side needs them.
            foreach (var s in candidates)
            {
                if (s.Descriptor is IKvBatchingDescriptor)
                {
                    progress |= Visit(pass, s);
                }
            }

            foreach (var s in candidates)
            {
                if (s.Descriptor is not IKvBatchingDescriptor)
                {
                    progress |= Visit(pass, s);
                }
            }

            if (progress)
            {
                continue;
            }

            if (pass.Batch.Count > 0)
            {
                Flush(pass);
                progress = true;
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
                        progress |= CascadeDelete(pass, b);
                    }
                }
                else if (s.Desired is not null && !DependenciesMet(s, s.Applied))
                {
                    // Applied items whose dependency is gone are removed as well.
                    progress |= CascadeDelete(pass, s);
                }
            }
        }

        Flush(pass); // nothing stays queued (cascade deletes run at once, after a flush)
    }

    /// <summary>Does (or queues) what one item needs, if it can be done now.</summary>
    private bool Visit(Pass pass, ItemState s)
    {
        if (pass.Failed.ContainsKey(s.Key) || pass.Batch.Contains(s))
        {
            return false;
        }

        if (s.Descriptor is not IKvBatchingDescriptor && pass.Batch.RelatesTo(s))
        {
            Flush(pass); // the item needs what is queued, or something queued needs it
            if (pass.Failed.ContainsKey(s.Key))
            {
                return false;
            }
        }

        if (s.Applied is not null && NeedsRemoval(s))
        {
            if (pass.Dependents.TryGetValue(s.Key, out var deps) && deps.Count > 0)
            {
                return false; // dependents first
            }

            var removed = s.Applied;
            var done = Do(pass, s, KvOp.Delete, cascade: false);
            if (s.Applied is null)
            {
                foreach (var d in Dependencies(s, removed))
                {
                    pass.Dependents.GetValueOrDefault(d)?.Remove(s);
                }

                // What this item depended on may be removable now: queue it with this removal.
                if (s.Descriptor is IKvBatchingDescriptor)
                {
                    foreach (var d in Dependencies(s, removed))
                    {
                        if (_items.TryGetValue(d, out var dependency) && dependency.Descriptor is IKvBatchingDescriptor && InScope(pass, dependency))
                        {
                            Visit(pass, dependency);
                        }
                    }
                }
            }

            return done;
        }

        if (s.Desired is not null && DependenciesMet(s, s.Desired))
        {
            bool done;
            if (s.Applied is null)
            {
                done = Do(pass, s, KvOp.Create, cascade: false);
            }
            else if (!s.Descriptor.Equivalent(s.Key, s.Desired, s.Applied))
            {
                done = Do(pass, s, KvOp.Update, cascade: false);
            }
            else
            {
                return false;
            }

            // Queued data plane items that depend on this one can join the same batch.
            if (done && s.Descriptor is IKvBatchingDescriptor && pass.Batch.Contains(s))
            {
                foreach (var dependent in pass.Reverse.GetValueOrDefault(s.Key, []))
                {
                    if (dependent.Descriptor is IKvBatchingDescriptor && InScope(pass, dependent))
                    {
                        Visit(pass, dependent);
                    }
                }
            }

            return done;
        }

        return false;
    }

    private static bool InScope(Pass pass, ItemState s) => pass.Scope is null || pass.Scope.Contains(s.Key);

    /// <summary>Executes the queued operations and settles each item: done, failed (state restored), or not attempted.</summary>
    private void Flush(Pass pass)
    {
        if (pass.Batch.Count == 0)
        {
            return;
        }

        var queued = pass.Batch.Take();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        IReadOnlyList<KvBatchResult> results;
        try
        {
            results = queued[0].Executor.Execute(queued.Select(q => new KvBatchOperation(q.Prepared, $"{q.State.Descriptor.Name} {q.State.Key}")).ToList());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            results = queued.Select(_ => KvBatchResult.Failed(e)).ToList();
        }

        var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds / queued.Count;
        for (var i = 0; i < queued.Count; i++)
        {
            var q = queued[i];
            var r = i < results.Count ? results[i] : KvBatchResult.Skipped;
            if (r.Done)
            {
                pass.Record.Operations.Add(new KvOpRecord(q.State.Key, q.Op, q.Value, null, pass.Attempt, pass.IsRevert, false, ms));
                continue;
            }

            q.State.Applied = q.Previous;
            if (r.Error is null)
            {
                continue; // not attempted: the next pass reconsiders it
            }

            q.State.Error = r.Error.Message;
            q.State.LastFailureTransient = r.Error is not KvOperationException { Transient: false };
            pass.Failed[q.State.Key] = r.Error.Message;
            pass.Record.Operations.Add(new KvOpRecord(q.State.Key, q.Op, q.Value, r.Error.Message, pass.Attempt, pass.IsRevert, false, ms));
            _log.LogWarning("txn {Seq}: {Op} {Key} failed: {Error}", pass.Record.SeqNum, q.Op, q.State.Key, r.Error.Message);
        }

        // Restored items count as applied again for the dependency checks that follow.
        pass.Dependents = AppliedDependents();
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
    private Dictionary<string, List<ItemState>> AllDependents() => DependentsBy(s => [s.Desired, s.Applied]);

    /// <summary>Deletes an item after (recursively) deleting everything applied that depends on it.</summary>
    private bool CascadeDelete(Pass pass, ItemState s)
    {
        if (s.Applied is null || pass.Failed.ContainsKey(s.Key))
        {
            return false;
        }

        foreach (var d in AppliedDependents().GetValueOrDefault(s.Key, []).ToList())
        {
            CascadeDelete(pass, d);
        }

        if (AppliedDependents().ContainsKey(s.Key))
        {
            return false; // a dependent could not be deleted
        }

        Flush(pass);
        return Do(pass, s, KvOp.Delete, cascade: s.Desired is not null);
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
    private Dictionary<string, List<ItemState>> AppliedDependents() => DependentsBy(s => [s.Applied]);

    /// <summary>Map from a key to the items that depend on it through any of the values <paramref name="values"/> picks.</summary>
    private Dictionary<string, List<ItemState>> DependentsBy(Func<ItemState, object?[]> values)
    {
        var map = new Dictionary<string, List<ItemState>>(StringComparer.Ordinal);
        foreach (var s in _items.Values)
        {
            foreach (var value in values(s))
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

                    if (list.Count == 0 || list[^1] != s)
                    {
                        list.Add(s); // once per item, also when both its values depend on the key
                    }
                }
            }
        }

        return map;
    }

    private bool Do(Pass pass, ItemState s, KvOp op, bool cascade)
    {
        var value = op == KvOp.Delete ? s.Applied! : s.Desired!;
        string? error = null;
        if (s.Descriptor is IKvBatchingDescriptor batching && !cascade)
        {
            try
            {
                var prepared = batching.PrepareOperation(op, s.Key, value);
                if (pass.Batch.Count > 0 && !ReferenceEquals(pass.Batch.Executor, batching.BatchExecutor))
                {
                    Flush(pass);
                }

                // Applied optimistically, so that dependent items can join the batch; Flush settles it.
                pass.Batch.Add(new Queued(s, op, value, s.Applied, prepared, batching.BatchExecutor));
                s.Applied = op == KvOp.Delete ? null : value;
                s.Error = null;
                AddDependentsToScope(pass, s);
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e.Message;
            }
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (error is not null)
            {
                throw new KvOperationException(error, transient: false);
            }

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
            AddDependentsToScope(pass, s);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e.Message;
            s.Error = error;
            s.LastFailureTransient = e is not KvOperationException { Transient: false };
            pass.Failed[s.Key] = error;
            _log.LogWarning("txn {Seq}: {Op} {Key} failed: {Error}", pass.Record.SeqNum, op, s.Key, error);
        }

        var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        pass.Record.Operations.Add(new KvOpRecord(s.Key, op, value, error, pass.Attempt, pass.IsRevert, cascade, ms));
        return error is null;
    }

    /// <summary>Items depending on this one may now be created, or must follow its removal.</summary>
    private static void AddDependentsToScope(Pass pass, ItemState s)
    {
        if (pass.Scope is not null && pass.Reverse.TryGetValue(s.Key, out var dependentItems))
        {
            foreach (var other in dependentItems)
            {
                pass.Scope.Add(other.Key);
            }
        }
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

    /// <summary>State of one <see cref="RunPasses"/> call.</summary>
    private sealed class Pass(TxnRecord record, int attempt, bool isRevert, Dictionary<string, string> failed, HashSet<string>? scope,
        Dictionary<string, List<ItemState>> reverse)
    {
        public TxnRecord Record { get; } = record;

        public int Attempt { get; } = attempt;

        public bool IsRevert { get; } = isRevert;

        public Dictionary<string, string> Failed { get; } = failed;

        public HashSet<string>? Scope { get; } = scope;

        /// <summary>Key → items whose desired or applied value depends on it.</summary>
        public Dictionary<string, List<ItemState>> Reverse { get; } = reverse;

        /// <summary>Key → applied items that depend on it (queued operations count as done).</summary>
        public Dictionary<string, List<ItemState>> Dependents { get; set; } = [];

        public PendingBatch Batch { get; } = new();
    }

    /// <summary>A queued operation with what Flush needs to settle it.</summary>
    private sealed record Queued(ItemState State, KvOp Op, object Value, object? Previous, object Prepared, IKvBatchExecutor Executor);

    /// <summary>Operations queued for one executor, in the order they must run.</summary>
    private sealed class PendingBatch
    {
        private readonly List<Queued> _ops = [];
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
        private readonly HashSet<string> _needed = new(StringComparer.Ordinal);

        public int Count => _ops.Count;

        public IKvBatchExecutor? Executor => _ops.Count > 0 ? _ops[0].Executor : null;

        public bool Contains(ItemState s) => _keys.Contains(s.Key);

        public void Add(Queued q)
        {
            _ops.Add(q);
            _keys.Add(q.State.Key);
            foreach (var d in Dependencies(q.State, q.Value))
            {
                _needed.Add(d);
            }

            if (q.Previous is not null)
            {
                foreach (var d in Dependencies(q.State, q.Previous))
                {
                    _needed.Add(d);
                }
            }
        }

        /// <summary>True when <paramref name="s"/> depends on a queued item, or a queued item depends on it.</summary>
        public bool RelatesTo(ItemState s)
        {
            if (_ops.Count == 0)
            {
                return false;
            }

            if (_needed.Contains(s.Key))
            {
                return true;
            }

            foreach (var value in (ReadOnlySpan<object?>)[s.Desired, s.Applied])
            {
                if (value is not null && Dependencies(s, value).Any(_keys.Contains))
                {
                    return true;
                }
            }

            return false;
        }

        public List<Queued> Take()
        {
            var ops = _ops.ToList();
            _ops.Clear();
            _keys.Clear();
            _needed.Clear();
            return ops;
        }
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
