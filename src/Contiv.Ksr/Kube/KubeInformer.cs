using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Contiv.Ksr.Kube;

/// <summary>Receives what an informer learns about one resource.</summary>
internal interface IInformerSink
{
    /// <summary>A complete listing: replaces everything known before (first list, and every relist).</summary>
    /// <param name="items">Every object of the resource.</param>
    /// <param name="relist">False for the first listing, true for a relist (after the watch expired).</param>
    void OnList(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, bool relist);

    /// <summary>One watch event (Added, Modified or Deleted).</summary>
    /// <param name="type">The event type.</param>
    /// <param name="item">The object (its last state for Deleted).</param>
    void OnEvent(WatchEventType type, IKubernetesObject<V1ObjectMeta> item);
}

/// <summary>
/// List-then-watch loop for one resource, the reflector half of a client-go informer: lists (in
/// pages), hands the listing to its sinks, watches from the list's resource version (following
/// bookmarks), re-watches from the last seen version when a watch ends, and relists when the
/// server answers 410 Gone (the version was compacted away). No periodic resync.
/// </summary>
internal sealed partial class KubeInformer
{
    private const int PageSize = 500;
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly KubeSource _source;
    private readonly IReadOnlyList<IInformerSink> _sinks;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private long _lists;
    private long _watches;
    private long _events;

    /// <summary>Creates the informer.</summary>
    /// <param name="source">How to list and watch.</param>
    /// <param name="sinks">Who receives listings and events (e.g. the Pod and the SfcPod reflector).</param>
    /// <param name="log">Logger.</param>
    /// <param name="time">Clock of the list and watch back-offs (null: the system clock).</param>
    public KubeInformer(KubeSource source, IReadOnlyList<IInformerSink> sinks, ILogger log, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _source = source;
        _sinks = sinks;
        _log = log;
    }

    /// <summary>Resource this informer follows.</summary>
    public string Resource => _source.Resource;

    /// <summary>Number of complete listings so far (1 after the first; more after 410 Gone).</summary>
    public long Lists => Interlocked.Read(ref _lists);

    /// <summary>Number of watch requests made so far.</summary>
    public long Watches => Interlocked.Read(ref _watches);

    /// <summary>Number of watch events delivered.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Runs until cancelled.</summary>
    /// <param name="ct">Stops the loop.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = MinBackoff;
        var relist = false;
        while (!ct.IsCancellationRequested)
        {
            string resourceVersion;
            try
            {
                resourceVersion = await ListAsync(relist, ct).ConfigureAwait(false);
                backoff = MinBackoff;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogListFailed(_log, _source.Resource, backoff.TotalMilliseconds, e);
                await DelayAsync(backoff, ct).ConfigureAwait(false);
                backoff = Next(backoff);
                continue;
            }

            relist = true;
            await WatchUntilExpiredAsync(resourceVersion, ct).ConfigureAwait(false);
        }
    }

    private async Task<string> ListAsync(bool relist, CancellationToken ct)
    {
        var items = new List<IKubernetesObject<V1ObjectMeta>>();
        string? cont = null;
        string? resourceVersion = null;
        do
        {
            var page = await _source.List(cont, PageSize, ct).ConfigureAwait(false);
            items.AddRange(page.Items);
            resourceVersion ??= page.ResourceVersion;
            cont = page.Continue;
        }
        while (!string.IsNullOrEmpty(cont));

        foreach (var sink in _sinks)
        {
            sink.OnList(items, relist);
        }

        Interlocked.Increment(ref _lists);
        LogListed(_log, _source.Resource, items.Count, resourceVersion ?? "(none)", relist);
        return resourceVersion ?? "0";
    }

    // Returns when the watch must be replaced by a relist (410 Gone) or on cancellation.
    private async Task WatchUntilExpiredAsync(string resourceVersion, CancellationToken ct)
    {
        var backoff = MinBackoff;
        while (!ct.IsCancellationRequested)
        {
            using var watchCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var expired = false;
            Exception? streamError = null;
            var received = 0;
            void OnError(Exception e)
            {
                if (IsGone(e))
                {
                    expired = true;
                    watchCts.Cancel();
                }
                else
                {
                    streamError = e;
                }
            }

            Interlocked.Increment(ref _watches);
            try
            {
                await foreach (var (type, obj) in _source.Watch(resourceVersion, OnError, watchCts.Token).WithCancellation(watchCts.Token).ConfigureAwait(false))
                {
                    received++;
                    if (obj?.Metadata?.ResourceVersion is { Length: > 0 } rv)
                    {
                        resourceVersion = rv;
                    }

                    if (type is WatchEventType.Bookmark or WatchEventType.Error || obj is null)
                    {
                        continue;
                    }

                    Interlocked.Increment(ref _events);
                    foreach (var sink in _sinks)
                    {
                        sink.OnEvent(type, obj);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (expired)
            {
                // fall through to the relist
            }
            catch (Exception e) when (IsGone(e))
            {
                expired = true;
            }
            catch (Exception e)
            {
                streamError = e;
            }

            if (expired)
            {
                LogExpired(_log, _source.Resource, resourceVersion);
                return;
            }

            if (streamError is not null)
            {
                LogWatchFailed(_log, _source.Resource, resourceVersion, backoff.TotalMilliseconds, streamError);
                await DelayAsync(backoff, ct).ConfigureAwait(false);
                backoff = Next(backoff);
            }
            else if (received == 0)
            {
                // A watch that ends at once without events or errors: do not spin.
                await DelayAsync(backoff, ct).ConfigureAwait(false);
                backoff = Next(backoff);
            }
            else
            {
                backoff = MinBackoff;
            }
        }
    }

    private static bool IsGone(Exception e) => e switch
    {
        KubernetesException { Status.Code: (int)HttpStatusCode.Gone } => true,
        HttpOperationException { Response.StatusCode: HttpStatusCode.Gone } => true,
        _ => e.InnerException is not null && IsGone(e.InnerException),
    };

    private static TimeSpan Next(TimeSpan backoff) => backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the caller checks the token
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "listed {Resource}: {Count} objects at resourceVersion {ResourceVersion} (relist: {Relist})")]
    private static partial void LogListed(ILogger log, string resource, int count, string resourceVersion, bool relist);

    [LoggerMessage(Level = LogLevel.Warning, Message = "listing {Resource} failed; retrying in {DelayMs} ms")]
    private static partial void LogListFailed(ILogger log, string resource, double delayMs, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "watch of {Resource} from resourceVersion {ResourceVersion} failed; re-watching in {DelayMs} ms")]
    private static partial void LogWatchFailed(ILogger log, string resource, string resourceVersion, double delayMs, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "watch of {Resource} expired at resourceVersion {ResourceVersion} (410 Gone): relisting")]
    private static partial void LogExpired(ILogger log, string resource, string resourceVersion);
}
