using System.Runtime.CompilerServices;
using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvcc = Mvccpb;

namespace Contiv.Store;

// Resumable prefix watches and the snapshot+watch mirror built on them.
public sealed partial class EtcdBroker
{
    /// <inheritdoc />
    public async IAsyncEnumerable<StoreEvent> WatchAsync(string prefix, long fromRevision = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(fromRevision);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var ct = linked.Token;

        // "From now" is pinned to a revision up front, so a disconnect before the first watch is
        // established cannot lose changes either.
        var next = fromRevision > 0 ? fromRevision : await GetRevisionAsync(ct) + 1;
        var (start, end) = PrefixRange(prefix);
        var failures = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            Exception? error;
            var generation = Volatile.Read(ref _channelGeneration);
            AsyncDuplexStreamingCall<WatchRequest, WatchResponse> watchCall;
            try
            {
                watchCall = _watch.Watch(cancellationToken: ct);
            }
            catch (ObjectDisposedException) when (ChannelReplacedSince(generation))
            {
                continue; // picked up the clients just before they were replaced: the new ones are in place
            }

            using (var call = watchCall)
            {
                var create = new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = start, RangeEnd = end, StartRevision = next, PrevKv = true, ProgressNotify = true },
                };
                error = await TrySendAsync(call, create, ct);
                while (error is null)
                {
                    WatchResponse? resp;
                    (resp, error) = await TryReadAsync(call, ct);
                    if (resp is null)
                    {
                        error ??= new IOException("watch stream ended by etcd");
                        break;
                    }

                    ReportSuccess();
                    failures = 0;
                    if (resp.Canceled)
                    {
                        if (resp.CompactRevision > 0)
                        {
                            throw new WatchCompactedException(prefix, next, resp.CompactRevision);
                        }

                        throw new StoreException($"etcd {EndpointList} cancelled the watch on prefix '{prefix}' at revision {next}: {resp.CancelReason}");
                    }

                    if (resp.Created)
                    {
                        // A store whose revision is behind what we already saw was wiped or restored
                        // from an old backup: a watch would silently wait for revisions that never come.
                        if (resp.Header.Revision < next - 1)
                        {
                            throw new WatchCompactedException(prefix, next, resp.Header.Revision, storeReset: true);
                        }

                        continue;
                    }

                    foreach (var ev in resp.Events)
                    {
                        var e = ToStoreEvent(ev);
                        yield return e;
                        next = e.Revision + 1;
                    }

                    if (resp.Events.Count == 0 && resp.Header.Revision >= next)
                    {
                        next = resp.Header.Revision + 1; // progress notification: nothing up to here
                    }
                }
            }

            if (ct.IsCancellationRequested)
            {
                ct.ThrowIfCancellationRequested();
            }

            error ??= new IOException("watch stream ended");
            if (!EtcdErrors.IsTransient(error) && error is RpcException rpc && !(ChannelReplacedSince(generation) && IsChannelTeardown(rpc)))
            {
                throw EtcdErrors.Translate($"watch prefix '{prefix}'", rpc);
            }

            ReportFailure(error);
            var delay = Backoff(failures++);
            _log.LogInformation("etcd {Endpoints}: watch on {Prefix} broken ({Error}); resuming at revision {Revision} in {Delay} ms",
                EndpointList, prefix, EtcdErrors.Describe(error), next, (int)delay.TotalMilliseconds);
            await Task.Delay(delay, ct);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SyncUpdate> SyncAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var snapshot = await SnapshotAsync(prefix, cancellationToken);
            yield return SyncUpdate.Resync(snapshot);
            await using var watch = WatchAsync(prefix, snapshot.Revision + 1, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                var (has, compacted) = await TryMoveNextAsync(watch);
                if (compacted is not null)
                {
                    _log.LogWarning("etcd: {Message}; resyncing prefix {Prefix}", compacted.Message, prefix);
                    break;
                }

                if (!has)
                {
                    yield break;
                }

                yield return SyncUpdate.Change(watch.Current);
            }
        }
    }

    private static async Task<(bool Has, WatchCompactedException? Compacted)> TryMoveNextAsync(IAsyncEnumerator<StoreEvent> e)
    {
        try
        {
            return (await e.MoveNextAsync(), null);
        }
        catch (WatchCompactedException c)
        {
            return (false, c);
        }
    }

    private static async Task<Exception?> TrySendAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, WatchRequest req, CancellationToken ct)
    {
        try
        {
            await call.RequestStream.WriteAsync(req, ct);
            return null;
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            return new IOException("watch stream aborted while sending", e); // the connection died under the call
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            return e;
        }
    }

    private static async Task<(WatchResponse? Response, Exception? Error)> TryReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, CancellationToken ct)
    {
        try
        {
            return await call.ResponseStream.MoveNext(ct) ? (call.ResponseStream.Current, null) : (null, null);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            return (null, new IOException("watch stream aborted", e)); // the connection died under the call
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            return (null, e);
        }
    }

    private static StoreEvent ToStoreEvent(Mvcc.Event ev)
    {
        var current = ToKeyValue(ev.Kv);
        var previous = ev.PrevKv is null ? null : ToKeyValue(ev.PrevKv);
        return ev.Type == Mvcc.Event.Types.EventType.Delete
            ? new StoreEvent(StoreEventKind.Delete, current.Key, current, previous)
            : new StoreEvent(StoreEventKind.Put, current.Key, current, previous);
    }
}
