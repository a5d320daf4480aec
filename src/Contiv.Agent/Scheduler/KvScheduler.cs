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
/// <remarks>
/// The parts: <see cref="ItemTable"/> (descriptors and item state), <see cref="DependencyIndex"/> (who depends on
/// what), <see cref="TransactionPass"/> (one attempt over the items) and <see cref="OperationBatch"/> (queued data
/// plane operations). This class runs transactions: desired state in, read-back, attempts with retries, revert,
/// history.
/// </remarks>
internal sealed class KvScheduler
{
    private readonly object _gate = new();
    private readonly ItemTable _items = new();
    private readonly DependencyIndex _deps;
    private readonly LinkedList<TxnRecord> _history = new();
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Action<TimeSpan> _sleep;
    private long _seq;

    /// <summary>Creates a scheduler.</summary>
    /// <param name="log">Logger.</param>
    /// <param name="sleep">Waits between retries of a transaction (tests pass one that returns at once); default: a delay on <paramref name="time"/>.</param>
    /// <param name="time">Clock of the transaction records and of the default retry wait (null: the system clock).</param>
    public KvScheduler(ILogger? log = null, Action<TimeSpan>? sleep = null, TimeProvider? time = null)
    {
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;

        // Commits run on the event loop's thread, which has nothing else to do while a transaction waits to retry.
        _sleep = sleep ?? (delay => Task.Delay(delay, _time).GetAwaiter().GetResult());
        _deps = _items.Dependencies;
    }

    /// <summary>The item table (tests check its indexes against full scans).</summary>
    internal ItemTable Items => _items;

    /// <summary>How many transaction records are kept.</summary>
    public int HistoryLimit { get; set; } = 1000;

    /// <summary>Names of the registered descriptors, in registration order.</summary>
    public IReadOnlyList<string> DescriptorNames
    {
        get
        {
            lock (_gate)
            {
                return [.. _items.Descriptors.Select(d => d.Name)];
            }
        }
    }

    /// <summary>Registers a descriptor whose operations run one by one; prefixes and names must be unique.</summary>
    public void Register<TValue>(IKvDescriptor<TValue> descriptor)
        where TValue : class
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        lock (_gate)
        {
            _items.Register(RegisteredDescriptor.Of(descriptor));
        }
    }

    /// <summary>Registers a descriptor whose operations are queued and executed in batches; prefixes and names must be unique.</summary>
    public void Register<TValue, TOperation>(IKvBatchingDescriptor<TValue, TOperation> descriptor)
        where TValue : class
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        lock (_gate)
        {
            _items.Register(RegisteredDescriptor.Of(descriptor));
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
            return _items.TryGet(key, out var s) ? s.Desired : null;
        }
    }

    /// <summary>Current applied value of a key (null if not applied).</summary>
    public object? GetApplied(string key)
    {
        lock (_gate)
        {
            return _items.TryGet(key, out var s) ? s.Applied : null;
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
            return _items.All.Where(s => s.Desired is not null && s.Applied is null)
                .ToDictionary(s => s.Key, s => s.Error ?? "waiting for " + string.Join(", ", _deps.Missing(s)), StringComparer.Ordinal);
        }
    }

    /// <summary>What really exists (SB), read back now, optionally of one descriptor.</summary>
    public IReadOnlyDictionary<string, object> DumpRetrieved(string? descriptor = null)
    {
        lock (_gate)
        {
            var ctx = new RetrieveContext();
            var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
            foreach (var d in _items.Descriptors.Where(d => descriptor is null || d.Name == descriptor))
            {
                var got = d.Retrieve(InterestOf(d), ctx);
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
            foreach (var s in _items.All)
            {
                if ((descriptor is null || s.Descriptor.Name == descriptor) && pick(s) is { } v)
                {
                    result[s.Key] = v;
                }
            }

            return result;
        }
    }

    /// <summary>A descriptor's items with the value to look for: desired, else applied.</summary>
    private List<KeyValuePair<string, object?>> InterestOf(RegisteredDescriptor d)
        => _items.All.Where(s => s.Descriptor == d).Select(s => KeyValuePair.Create(s.Key, s.Desired ?? s.Applied)).ToList();

    private TxnResult Commit(TxnKind kind, IReadOnlyDictionary<string, object?> changes, string description, bool revert, RetryPolicy retry)
    {
        lock (_gate)
        {
            var record = new TxnRecord { SeqNum = _seq++, Kind = kind, Description = description, Start = _time.GetUtcNow(), WithRevert = revert };
            var previous = _items.SnapshotDesired(kind == TxnKind.Update ? changes.Keys : null);
            try
            {
                _items.SetDesired(kind, changes);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                _items.RestoreDesired(previous);
                record.Error = e.Message;
                record.End = _time.GetUtcNow();
                AddHistory(record);
                return new TxnResult(record, new Dictionary<string, string> { ["*"] = e.Message });
            }

            if (kind is TxnKind.FullResync or TxnKind.DownstreamResync)
            {
                RetrieveAll(record);
            }

            // An incremental transaction touches only its own items and what depends on them; items that
            // failed earlier are retried by resyncs (healing), not dragged into unrelated transactions.
            HashSet<string>? scope = kind == TxnKind.Update ? _items.ScopeOf(changes.Keys) : null;
            var failures = Execute(record, retry, isRevert: false, scope);
            if (failures.Count > 0 && revert)
            {
                _log.LogWarning("txn {Seq} ({Description}) failed ({Error}); reverting", record.SeqNum, description, Summarize(failures));
                _items.RestoreDesired(previous);
                var revertFailures = Execute(record, RetryPolicy.None, isRevert: true, _items.ScopeOf(changes.Keys));
                foreach (var (k, e) in revertFailures)
                {
                    _log.LogError("txn {Seq}: revert of {Key} failed: {Error}", record.SeqNum, k, e);
                }
            }

            record.Error = failures.Count == 0 ? null : Summarize(failures);
            record.End = _time.GetUtcNow();
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

    /// <summary>Replaces the applied state of every descriptor that can read back with what really exists.</summary>
    private void RetrieveAll(TxnRecord record)
    {
        var ctx = new RetrieveContext();
        foreach (var d in _items.Descriptors)
        {
            var mine = _items.All.Where(s => s.Descriptor == d).ToList();
            IReadOnlyDictionary<string, object>? got;
            try
            {
                got = d.Retrieve(mine.Select(s => KeyValuePair.Create(s.Key, s.Desired ?? s.Applied)), ctx);
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
                if (!_items.Contains(k))
                {
                    if (!k.StartsWith(d.KeyPrefix, StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"descriptor {d.Name} retrieved key {k} outside its prefix {d.KeyPrefix}");
                    }

                    var s = _items.GetOrAdd(k);
                    s.Descriptor.Check(k, v); // a longer prefix may own the key
                    s.Applied = v;
                }
            }
        }
    }

    /// <summary>Attempts the transaction, retrying transient failures per <paramref name="retry"/>; returns what still failed.</summary>
    private Dictionary<string, string> Execute(TxnRecord record, RetryPolicy retry, bool isRevert, HashSet<string>? scope)
    {
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        var delay = retry.Delay;
        for (var attempt = 1; ; attempt++)
        {
            failed.Clear();
            new TransactionPass(_items, _deps, _log, record, attempt, isRevert, failed, scope).Run();
            if (failed.Count == 0 || attempt > retry.MaxAttempts)
            {
                break;
            }

            // Only transient failures are worth another attempt.
            if (!failed.Keys.Any(k => _items.TryGet(k, out var s) && s.LastFailureTransient))
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

        _items.RemoveUnused();
        return failed;
    }
}
