using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Contiv.ApiServer.Registry;
using Contiv.Store;
using Microsoft.Extensions.Logging;

namespace Contiv.ApiServer.Storage;

/// <summary>
/// Optional persistence of the registry in etcd: on start every object under the prefix is loaded
/// (CRDs first, so their resources are served again) and the resourceVersion counter continues from
/// the stored one; afterwards every committed change is written in commit order by one background
/// writer (puts and deletes of <c>{prefix}/{resource}/{namespace}/{name}</c>, and <c>{prefix}/resourceVersion</c>).
/// The in-memory registry stays authoritative; etcd outages delay the writes (the broker retries).
/// </summary>
internal sealed class EtcdPersistence : IAsyncDisposable
{
    private const string CrdStoreKey = "customresourcedefinitions.apiextensions.k8s.io";

    private readonly ResourceRegistry _registry;
    private readonly IEtcdBroker _broker;
    private readonly string _prefix;
    private readonly ILogger _log;
    private readonly Channel<StoreEvent> _queue = Channel.CreateUnbounded<StoreEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _writer = Task.CompletedTask;
    private Task _checker = Task.CompletedTask;
    private int _resyncQueued;
    private long _lastWrittenRv;

    // Queued after etcd came back: the writer then rewrites everything (etcd may have been wiped or restored).
    private static readonly StoreEvent ResyncMarker = new(WatchEventType.Bookmark, 0, string.Empty, new JsonObject(), null);

    private EtcdPersistence(ResourceRegistry registry, IEtcdBroker broker, string prefix, ILogger log)
    {
        _registry = registry;
        _broker = broker;
        _prefix = prefix.TrimEnd('/');
        _log = log;
    }

    public static async Task<IAsyncDisposable> AttachAsync(ResourceRegistry registry, LabApiServerOptions options, ILogger log, CancellationToken cancellationToken)
    {
        var broker = new EtcdBroker(options.EtcdSecurity with { Endpoints = options.EtcdEndpoints! }, log);
        var persistence = new EtcdPersistence(registry, broker, options.EtcdPrefix, log);
        try
        {
            await persistence.LoadAsync(cancellationToken);
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }

        registry.Committed += persistence.OnCommitted;
        broker.ConnectionStateChanged += persistence.OnConnectionStateChanged;
        persistence._writer = Task.Run(persistence.WriteLoopAsync);
        persistence._checker = Task.Run(persistence.CheckLoopAsync);
        return persistence;
    }

    /// <summary>Etcd key of an object.</summary>
    internal static string KeyOf(string prefix, string storeKey, string? ns, string name)
        => ns is null ? $"{prefix}/{storeKey}/{name}" : $"{prefix}/{storeKey}/{ns}/{name}";

    private string RvKey => $"{_prefix}/resourceVersion";

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _broker.SnapshotAsync(_prefix + "/", cancellationToken);
        long counter = 0;
        var objects = new List<(string StoreKey, JsonObject Obj)>();
        foreach (var kv in snapshot.Items)
        {
            if (kv.Key == RvKey)
            {
                counter = long.Parse(kv.Value, CultureInfo.InvariantCulture);
                continue;
            }

            var rest = kv.Key[(_prefix.Length + 1)..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || JsonNode.Parse(kv.Value) is not JsonObject obj)
            {
                _log.LogWarning("ignoring unexpected key {Key} in etcd", kv.Key);
                continue;
            }

            objects.Add((rest[..slash], obj));
        }

        // CRDs first: restoring one registers its resources in the catalog.
        foreach (var (storeKey, obj) in objects.OrderBy(o => o.StoreKey == CrdStoreKey ? 0 : 1))
        {
            var type = _registry.Catalog.ByStoreKey(storeKey).FirstOrDefault();
            if (type is null)
            {
                _log.LogWarning("ignoring stored {Resource} {Name}: resource is not served", storeKey, Json.Str(obj, "metadata", "name"));
                continue;
            }

            _registry.Restore(type, obj, ResourceRegistry.ObjectRv(obj));
        }

        _registry.RestoreResourceVersion(counter);
        _log.LogInformation("loaded {Count} objects from etcd at resourceVersion {Rv}", objects.Count, _registry.ResourceVersion);
    }

    private void OnCommitted(StoreEvent e) => _queue.Writer.TryWrite(e);

    private void OnConnectionStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        if (e.Previous == StoreConnectionState.Disconnected && e.Current == StoreConnectionState.Connected)
        {
            QueueResync();
        }
    }

    private void QueueResync()
    {
        if (Interlocked.Exchange(ref _resyncQueued, 1) == 0)
        {
            _queue.Writer.TryWrite(ResyncMarker);
        }
    }

    /// <summary>
    /// Detects a wiped (or restored-from-old-backup) etcd that the connection state may not show (a quick
    /// restart between health probes): the counter key vanished or went backwards. Event-driven, nothing is
    /// sent while idle: a watch on the counter key reports its deletion and values behind what was written,
    /// and fails when etcd's revision went below what it had seen (a store reset) or was compacted; each of
    /// these (and every start of the watch) reads the key once.
    /// </summary>
    private async Task CheckLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var from = await _broker.GetRevisionAsync(_stop.Token) + 1;
                await CheckOnceAsync();
                await foreach (var e in _broker.WatchAsync(RvKey, from, _stop.Token))
                {
                    if (e.Key != RvKey)
                    {
                        continue;
                    }

                    if (e.Kind == StoreEventKind.Delete
                        || !long.TryParse(e.Current.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                        || value < Interlocked.Read(ref _lastWrittenRv))
                    {
                        await CheckOnceAsync();
                    }
                }
            }
            catch (Exception e) when (_stop.IsCancellationRequested && e is not OutOfMemoryException)
            {
                // Stopping: the cancelled watch may end as an OperationCanceledException or as the gRPC call's
                // RpcException(Cancelled) (seen once in PersistenceTests, thrown from DisposeAsync's await).
                return;
            }
            catch (WatchCompactedException e)
            {
                _log.LogDebug("etcd persistence check: {Message}", e.Message); // read the key again at once
            }
            catch (StoreException e)
            {
                _log.LogDebug("etcd persistence check: {Message}", e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task CheckOnceAsync()
    {
        var written = Interlocked.Read(ref _lastWrittenRv);
        if (written == 0 || Volatile.Read(ref _resyncQueued) == 1)
        {
            return;
        }

        var kv = await _broker.GetAsync(RvKey, _stop.Token);
        if (kv is null || long.Parse(kv.Value, CultureInfo.InvariantCulture) < written)
        {
            _log.LogWarning("etcd lost the persisted state (resourceVersion key {State}); rewriting everything", kv is null ? "missing" : "behind");
            QueueResync();
        }
    }

    /// <summary>
    /// Makes etcd equal to the registry: puts every object, deletes keys of objects that no longer exist.
    /// Events queued behind the marker were committed after it and are applied afterwards, so the
    /// last write per key is always the latest state.
    /// </summary>
    private async Task ResyncAsync()
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (storeKey, obj) in _registry.SnapshotAll())
        {
            var ns = Json.Str(obj, "metadata", "namespace");
            current[KeyOf(_prefix, storeKey, string.IsNullOrEmpty(ns) ? null : ns, Json.Str(obj, "metadata", "name")!)] = obj.ToJsonString();
        }

        var stale = new List<string>();
        await foreach (var key in _broker.ListKeysAsync(_prefix + "/", _stop.Token))
        {
            if (key != RvKey && !current.ContainsKey(key))
            {
                stale.Add(key);
            }
        }

        foreach (var (key, value) in current)
        {
            await _broker.PutAsync(key, value, cancellationToken: _stop.Token);
        }

        foreach (var key in stale)
        {
            await _broker.DeleteAsync(key, _stop.Token);
        }

        var rv = _registry.ResourceVersion;
        await _broker.PutAsync(RvKey, rv.ToString(CultureInfo.InvariantCulture), cancellationToken: _stop.Token);
        Interlocked.Exchange(ref _lastWrittenRv, rv);
        _log.LogInformation("etcd persistence resynced after reconnect: {Count} objects written, {Stale} stale keys removed", current.Count, stale.Count);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                long last = 0;
                while (reader.TryRead(out var e))
                {
                    if (ReferenceEquals(e, ResyncMarker))
                    {
                        Volatile.Write(ref _resyncQueued, 0);
                        await WithRetryAsync(ResyncAsync, _prefix);
                        continue;
                    }

                    var ns = Json.Str(e.Object, "metadata", "namespace");
                    var name = Json.Str(e.Object, "metadata", "name")!;
                    var key = KeyOf(_prefix, e.StoreKey, string.IsNullOrEmpty(ns) ? null : ns, name);
                    await WithRetryAsync(async () =>
                    {
                        if (e.Type == WatchEventType.Deleted)
                        {
                            await _broker.DeleteAsync(key, _stop.Token);
                        }
                        else
                        {
                            await _broker.PutAsync(key, e.Object.ToJsonString(), cancellationToken: _stop.Token);
                        }
                    }, key);
                    last = e.ResourceVersion;
                }

                if (last > 0)
                {
                    await WithRetryAsync(() => _broker.PutAsync(RvKey, last.ToString(CultureInfo.InvariantCulture), cancellationToken: _stop.Token), RvKey);
                    Interlocked.Exchange(ref _lastWrittenRv, last);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogError(e, "etcd persistence writer stopped; later changes are not persisted");
        }
    }

    private async Task WithRetryAsync(Func<Task> write, string key)
    {
        while (true)
        {
            try
            {
                await write();
                return;
            }
            catch (StoreException e)
            {
                _log.LogWarning("etcd write of {Key} failed, retrying: {Message}", key, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
            }
        }
    }

    /// <summary>Waits until everything committed so far is written (bounded), then disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        _registry.Committed -= OnCommitted;
        _broker.ConnectionStateChanged -= OnConnectionStateChanged;
        _queue.Writer.TryComplete();
        var finished = await Task.WhenAny(_writer, Task.Delay(TimeSpan.FromSeconds(10)));
        if (finished != _writer)
        {
            _log.LogWarning("etcd persistence: pending writes dropped at shutdown");
        }

        await _stop.CancelAsync();
        try
        {
            await _writer;
            await _checker;
        }
        catch (OperationCanceledException)
        {
        }

        await _broker.DisposeAsync();
        _stop.Dispose();
    }
}
