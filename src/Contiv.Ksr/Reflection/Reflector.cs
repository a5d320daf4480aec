using Contiv.Ksr.Kube;
using Contiv.Ksr.Queue;
using Contiv.Model;
using Contiv.Store;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Contiv.Ksr.Reflection;

/// <summary>
/// Mirrors one kind of Kubernetes object into one etcd prefix (SPEC §1.3).
/// </summary>
/// <remarks>
/// <para>
/// The informer side (<see cref="IInformerSink"/>) keeps the desired records in a
/// <see cref="Projection"/> and puts every key whose record changed on a <see cref="WorkQueue{T}"/>.
/// Writers take batches of keys and compare each key's desired record with what etcd is known to
/// hold (<c>_inStore</c>): a put only when the record differs, a delete only when the key exists.
/// A batch is one etcd transaction.
/// </para>
/// <para>
/// Mark-and-sweep resync (<see cref="ResyncAsync"/>): waits until the informer has listed, reads
/// the whole prefix from etcd into <c>_inStore</c>, and queues the union of desired and stored
/// keys; the writers then put what is missing or different and delete what is left over. Because
/// a resync re-queues every key, writes that were dropped while the reflector was suspended or
/// failed are never lost; a write racing with the listing is at worst repeated.
/// </para>
/// <para>
/// Writes happen only between a successful resync listing and the next suspension (datastore
/// down, leadership lost, data loss) or write error: "events are ignored while not data-store
/// synced" — they are queued and the next resync covers them.
/// </para>
/// </remarks>
internal sealed partial class Reflector : IInformerSink
{
    /// <summary>etcd's default limit of operations in one transaction.</summary>
    public const int MaxTxnOps = 128;

    private readonly object _lock = new();
    private readonly Projection _projection;
    private readonly MessageDescriptor _descriptor;
    private readonly IEtcdBroker _store;
    private readonly ILogger _log;
    private readonly WorkQueue<string> _queue = new();
    private readonly TaskCompletionSource _informerSynced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, IMessage?> _inStore = new(StringComparer.Ordinal);
    private HashSet<string> _resyncPending = new(StringComparer.Ordinal);
    private TaskCompletionSource _writable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _listed;
    private long _epoch;

    /// <summary>Creates a reflector.</summary>
    /// <param name="name">Reflector name, as in Contiv's statistics (<c>Pod</c>, <c>Namespace</c>, …).</param>
    /// <param name="prefix">The etcd prefix it owns, e.g. <see cref="Keys.PodPrefix"/>.</param>
    /// <param name="descriptor">Type of the records under the prefix.</param>
    /// <param name="projection">Kubernetes objects → desired records.</param>
    /// <param name="store">etcd.</param>
    /// <param name="log">Logger.</param>
    public Reflector(string name, string prefix, MessageDescriptor descriptor, Projection projection, IEtcdBroker store, ILogger log)
    {
        Name = name;
        Prefix = prefix;
        _descriptor = descriptor;
        _projection = projection;
        _store = store;
        _log = log;
    }

    /// <summary>Raised when a write failed: the reflector is no longer synced and needs a resync.</summary>
    public event Action<Reflector, Exception>? WriteFailed;

    /// <summary>Raised when the informer relisted after its watch expired (410 Gone): a resync is due.</summary>
    public event Action<Reflector>? Relisted;

    /// <summary>Called after a key was deleted from etcd (used to clean up after deleted nodes).</summary>
    public Func<string, CancellationToken, Task>? AfterDelete { get; set; }

    /// <summary>
    /// Which stored keys under <see cref="Prefix"/> this reflector owns (null: all). A resync sweeps
    /// only owned keys, so a reflector whose prefix is shared with other writers (contiv-crd's
    /// CustomConfiguration under <c>/vnf-agent/</c>) never deletes what it did not write.
    /// </summary>
    public Func<string, bool>? OwnsKey { get; init; }

    /// <summary>Reflector name (<c>Pod</c>, <c>Namespace</c>, <c>Service</c>, …).</summary>
    public string Name { get; }

    /// <summary>The etcd prefix this reflector owns.</summary>
    public string Prefix { get; }

    /// <summary>Counters (Contiv's KsrStats).</summary>
    public ReflectorStatistics Statistics { get; } = new();

    /// <summary>True once the informer delivered its first complete listing.</summary>
    public bool InformerSynced => _informerSynced.Task.IsCompleted;

    /// <summary>True when the last resync completed and no write failed since ("data-store synced").</summary>
    public bool IsSynced
    {
        get
        {
            lock (_lock)
            {
                return _listed && _resyncPending.Count == 0;
            }
        }
    }

    /// <summary>Keys waiting to be written.</summary>
    public int QueueLength => _queue.Count + _queue.ProcessingCount;

    /// <summary>Number of desired records (Kubernetes objects reflected).</summary>
    public int DesiredCount
    {
        get
        {
            lock (_lock)
            {
                return _projection.Count;
            }
        }
    }

    /// <inheritdoc />
    public void OnList(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, bool relist)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        lock (_lock)
        {
            _projection.Replace(items, changed, (item, e) =>
            {
                Statistics.ArgumentFailed();
                LogConversionFailed(_log, Name, item.Metadata?.NamespaceProperty ?? string.Empty, item.Metadata?.Name ?? string.Empty, e.Message);
            });
        }

        foreach (var key in changed)
        {
            _queue.Add(key);
        }

        _informerSynced.TrySetResult();
        if (relist)
        {
            Relisted?.Invoke(this);
        }
    }

    /// <inheritdoc />
    public void OnEvent(WatchEventType type, IKubernetesObject<V1ObjectMeta> item)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            lock (_lock)
            {
                _projection.Apply(type, item, changed);
            }
        }
        catch (Exception e) when (e is Conversion.ConversionException or ArgumentException)
        {
            Statistics.ArgumentFailed();
            LogConversionFailed(_log, Name, item.Metadata?.NamespaceProperty ?? string.Empty, item.Metadata?.Name ?? string.Empty, e.Message);
            return;
        }

        foreach (var key in changed)
        {
            _queue.Add(key);
        }
    }

    /// <summary>Waits until the informer delivered its first complete listing.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task WaitInformerSyncedAsync(CancellationToken ct) => _informerSynced.Task.WaitAsync(ct);

    /// <summary>Stops writing until the next successful <see cref="ResyncAsync"/> (datastore down, leadership lost, data loss).</summary>
    public void Suspend()
    {
        lock (_lock)
        {
            _epoch++;
            _listed = false;
            if (_writable.Task.IsCompleted)
            {
                _writable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>
    /// Mark-and-sweep resync: waits for the informer's listing, reads the prefix from etcd, and
    /// queues every desired or stored key so the writers put what is missing or different and delete
    /// what is left over. Returns once the listing is done (writes then proceed in the background;
    /// <see cref="IsSynced"/> turns true when they are all done).
    /// </summary>
    /// <param name="ct">Cancels the resync (datastore down, shutdown).</param>
    /// <returns>Number of keys queued.</returns>
    public async Task<int> ResyncAsync(CancellationToken ct)
    {
        await WaitInformerSyncedAsync(ct).ConfigureAwait(false);
        long epoch;
        lock (_lock)
        {
            epoch = ++_epoch;
            _listed = false;
        }

        PrefixSnapshot snapshot;
        try
        {
            snapshot = await _store.SnapshotAsync(Prefix, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Statistics.ResyncFailed();
            throw;
        }

        var stored = new Dictionary<string, IMessage?>(snapshot.Items.Count, StringComparer.Ordinal);
        foreach (var kv in snapshot.Items)
        {
            if (OwnsKey is { } owns && !owns(kv.Key))
            {
                continue;
            }

            IMessage? record = null;
            try
            {
                record = ProtoJson.Parse(_descriptor, kv.Value);
            }
            catch (FormatException e)
            {
                // Kept as "present but unreadable": the writers overwrite or delete it.
                LogUnreadable(_log, Name, kv.Key, e.Message);
            }

            stored[kv.Key] = record;
        }

        HashSet<string> keys;
        lock (_lock)
        {
            if (epoch != _epoch)
            {
                throw new OperationCanceledException($"{Name} resync superseded");
            }

            keys = new HashSet<string>(stored.Keys, StringComparer.Ordinal);
            keys.UnionWith(_projection.Keys);
            _inStore = stored;
            _resyncPending = new HashSet<string>(keys, StringComparer.Ordinal);
            _listed = true;
            _writable.TrySetResult();
        }

        foreach (var key in keys)
        {
            _queue.Add(key);
        }

        Statistics.Resynced();
        LogResynced(_log, Name, snapshot.Items.Count, keys.Count, snapshot.Revision);
        return keys.Count;
    }

    /// <summary>Runs <paramref name="workers"/> writers until cancelled.</summary>
    /// <param name="workers">Concurrent writers (each holds different keys).</param>
    /// <param name="ct">Stops the writers.</param>
    /// <returns>A task that completes when all writers stopped.</returns>
    public Task RunWritersAsync(int workers, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WriterLoopAsync(ct), CancellationToken.None)));
    }

    /// <summary>What etcd holds under <paramref name="key"/> as far as this reflector knows (tests, diagnostics).</summary>
    /// <param name="key">The key.</param>
    public IMessage? DesiredRecord(string key)
    {
        lock (_lock)
        {
            return _projection.Desired(key);
        }
    }

    private async Task WriterLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                Task writable;
                lock (_lock)
                {
                    writable = _writable.Task;
                }

                await writable.WaitAsync(ct).ConfigureAwait(false);
                var batch = await _queue.TakeAsync(MaxTxnOps, ct).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    return;
                }

                try
                {
                    await WriteBatchAsync(batch, ct).ConfigureAwait(false);
                }
                finally
                {
                    _queue.Done(batch);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Never let a writer die: the failure already marked the reflector for a resync.
                LogWriterError(_log, Name, e);
            }
        }
    }

    private enum OpKind
    {
        Add,
        Update,
        Delete,
    }

    private async Task WriteBatchAsync(IReadOnlyList<string> batch, CancellationToken ct)
    {
        var planned = new List<(string Key, OpKind Kind, IMessage? Record)>(batch.Count);
        long epoch;
        lock (_lock)
        {
            if (!_listed)
            {
                // Suspended after the batch was taken: the next resync queues these keys again.
                return;
            }

            epoch = _epoch;
            foreach (var key in batch)
            {
                var desired = _projection.Desired(key);
                var exists = _inStore.TryGetValue(key, out var current);
                if (desired is not null)
                {
                    if (exists && current is not null && current.Equals(desired))
                    {
                        _resyncPending.Remove(key);
                        continue;
                    }

                    planned.Add((key, exists ? OpKind.Update : OpKind.Add, desired));
                }
                else if (exists)
                {
                    planned.Add((key, OpKind.Delete, null));
                }
                else
                {
                    _resyncPending.Remove(key);
                }
            }
        }

        if (planned.Count == 0)
        {
            return;
        }

        // Records are immutable once projected, so the JSON is written outside the lock: the informer's events
        // (and the other writers' planning) do not wait for it during a burst.
        var ops = new List<TxnOp>(planned.Count);
        foreach (var (key, kind, record) in planned)
        {
            ops.Add(kind == OpKind.Delete ? TxnOp.Delete(key) : TxnOp.Put(key, ProtoJson.Format(record!)));
        }

        try
        {
            await _store.TxnAsync([], ops, null, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            foreach (var (_, kind, _) in planned)
            {
                switch (kind)
                {
                    case OpKind.Add:
                        Statistics.AddFailed();
                        break;
                    case OpKind.Update:
                        Statistics.UpdateFailed();
                        break;
                    default:
                        Statistics.DeleteFailed();
                        break;
                }
            }

            lock (_lock)
            {
                if (epoch == _epoch)
                {
                    _listed = false;
                    if (_writable.Task.IsCompleted)
                    {
                        _writable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
            }

            LogWriteFailed(_log, Name, ops.Count, e.Message);
            WriteFailed?.Invoke(this, e);
            return;
        }

        var deleted = new List<string>();
        lock (_lock)
        {
            foreach (var (key, kind, record) in planned)
            {
                if (kind == OpKind.Delete)
                {
                    _inStore.Remove(key);
                    deleted.Add(key);
                    Statistics.Deleted();
                }
                else
                {
                    _inStore[key] = record;
                    if (kind == OpKind.Add)
                    {
                        Statistics.Added();
                    }
                    else
                    {
                        Statistics.Updated();
                    }
                }

                _resyncPending.Remove(key);
            }
        }

        if (AfterDelete is { } hook)
        {
            foreach (var key in deleted)
            {
                await hook(key, ct).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reflector}: cannot reflect {Namespace}/{Name}: {Reason}")]
    private static partial void LogConversionFailed(ILogger log, string reflector, string @namespace, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reflector}: etcd value under {Key} is unreadable ({Reason}); it will be rewritten or deleted")]
    private static partial void LogUnreadable(ILogger log, string reflector, string key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Reflector}: resync listed {Stored} keys in etcd (revision {Revision}); {Queued} keys queued for mark-and-sweep")]
    private static partial void LogResynced(ILogger log, string reflector, int stored, int queued, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reflector}: writing {Ops} operations to etcd failed: {Reason}; resync scheduled")]
    private static partial void LogWriteFailed(ILogger log, string reflector, int ops, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reflector}: writer failed unexpectedly")]
    private static partial void LogWriterError(ILogger log, string reflector, Exception error);
}
