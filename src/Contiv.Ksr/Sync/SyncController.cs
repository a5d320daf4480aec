using System.Threading.Channels;
using Contiv.Ksr.Reflection;
using Contiv.Model;
using Contiv.Model.Ksr;
using Contiv.Store;
using Microsoft.Extensions.Logging;

namespace Contiv.Ksr.Sync;

/// <summary>
/// Decides when the reflectors may write and when they resync (SPEC §1.3):
/// <list type="bullet">
/// <item>writes only while etcd is connected and this KSR leads;</item>
/// <item>a full mark-and-sweep resync of every reflector whenever that becomes true (start,
/// etcd reconnect, leadership gained) and when data loss is detected;</item>
/// <item>a resync of one reflector after a write error or after its watch expired (410 Gone), retried
/// with back-off 100 ms doubling to 1 s;</item>
/// <item>data-loss detection with the statistics key as canary: once every reflector is synced the key is
/// read — a missing key or a mod revision lower than the last one written means etcd lost data (wiped or
/// restored from an older snapshot) → full resync — and the current statistics are written. SPEC §1.3
/// reads the key every second; here the read is event-driven with the same outcome: a watch on the key
/// (from the revision after our last write) wakes the check on any change of it (a delete, someone
/// else's write) and on a store reset or compaction (the broker's watch fails when etcd's revision went
/// below what it had seen), and a connection change wakes it too. Changed statistics are written at
/// most once per <see cref="StatsInterval"/>; an idle cluster costs no etcd request at all.</item>
/// </list>
/// All decisions are made on one loop, so state changes are handled one at a time in order.
/// </summary>
internal sealed partial class SyncController
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<Reflector> _reflectors;
    private readonly IEtcdBroker _store;
    private readonly ILogger _log;
    private readonly Channel<Signal> _signals = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<Reflector, (long Id, Task Task)> _resyncs = [];
    private readonly TimeProvider _time;
    private long _nextResyncId;
    private CancellationTokenSource? _epoch;
    private bool _connected;
    private bool _leader;
    private long _lastStatsRevision;
    private string? _lastStats;
    private long _dataLossEvents;
    private long _fullResyncs;
    private long _canaryChecks;
    private int _statsDirty;
    private CancellationTokenSource? _canaryStop;
    private long _canaryFrom;

    /// <summary>Creates the controller.</summary>
    /// <param name="reflectors">Every reflector.</param>
    /// <param name="store">etcd.</param>
    /// <param name="log">Logger.</param>
    /// <param name="time">Clock of the statistics interval and the resync back-off (null: the system clock).</param>
    public SyncController(IReadOnlyList<Reflector> reflectors, IEtcdBroker store, ILogger log, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _reflectors = reflectors;
        _store = store;
        _log = log;
        foreach (var r in reflectors)
        {
            r.WriteFailed += (reflector, _) => _signals.Writer.TryWrite(new Signal(SignalKind.ReflectorFailed, reflector));
            r.Relisted += reflector => _signals.Writer.TryWrite(new Signal(SignalKind.ReflectorFailed, reflector));
            r.Statistics.Changed = OnStatisticsChanged;
        }

        store.ConnectionStateChanged += (_, e) => _signals.Writer.TryWrite(new Signal(SignalKind.Connection, null));
    }

    private enum SignalKind
    {
        Connection,
        Leadership,
        ReflectorFailed,
        ResyncDone,
        StatsChanged,
        Canary,
    }

    /// <summary>Shortest time between two writes of changed statistics (the data-loss check itself is event-driven).</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Key of the statistics record that doubles as the data-loss canary (contiv-crd uses its own).</summary>
    public string StatsKey { get; init; } = Keys.KsrStatsKey;

    /// <summary>Writers per reflector.</summary>
    public int WritersPerReflector { get; init; } = 2;

    /// <summary>True while this KSR may write (etcd connected and leading).</summary>
    public bool Writable => _connected && _leader;

    /// <summary>True when writable and every reflector is synced.</summary>
    public bool AllSynced => Writable && _reflectors.All(r => r.IsSynced);

    /// <summary>Number of times data loss was detected.</summary>
    public long DataLossEvents => Interlocked.Read(ref _dataLossEvents);

    /// <summary>Number of times the statistics key was read for the data-loss check (for tests: zero while idle).</summary>
    public long CanaryChecks => Interlocked.Read(ref _canaryChecks);

    /// <summary>Number of full resyncs started (start, reconnect, leadership, data loss).</summary>
    public long FullResyncs => Interlocked.Read(ref _fullResyncs);

    /// <summary>Reflectors under control.</summary>
    public IReadOnlyList<Reflector> Reflectors => _reflectors;

    /// <summary>Tells the controller whether this KSR leads (call on every change; true when there is no election).</summary>
    /// <param name="leader">True when leading.</param>
    public void SetLeadership(bool leader) => _signals.Writer.TryWrite(new Signal(SignalKind.Leadership, null, leader));

    /// <summary>The current statistics of every reflector as the <c>ksrapi.Stats</c> record.</summary>
    public Stats StatsRecord()
    {
        var stats = new Stats();
        foreach (var r in _reflectors)
        {
            var s = r.Statistics.ToProto();
            switch (r.Name)
            {
                case ReflectorNames.Namespace: stats.NamespaceStats = s; break;
                case ReflectorNames.Pod: stats.PodStats = s; break;
                case ReflectorNames.Policy: stats.PolicyStats = s; break;
                case ReflectorNames.Endpoints: stats.EndpointsStats = s; break;
                case ReflectorNames.Service: stats.ServiceStats = s; break;
                case ReflectorNames.Node: stats.NodeStats = s; break;
                case ReflectorNames.SfcPod: stats.SfcPodStats = s; break;
            }
        }

        return stats;
    }

    /// <summary>Runs the writers and the control loop until cancelled.</summary>
    /// <param name="ct">Stops everything.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        var writers = _reflectors.Select(r => r.RunWritersAsync(WritersPerReflector, ct)).ToList();
        _signals.Writer.TryWrite(new Signal(SignalKind.Connection, null));
        Task? statsDue = null; // pending write of changed statistics
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var read = _signals.Reader.WaitToReadAsync(ct).AsTask();
                var done = statsDue is null ? read : await Task.WhenAny(read, statsDue).ConfigureAwait(false);
                await done.ConfigureAwait(false);
                var check = false;
                var statsChanged = false;
                while (_signals.Reader.TryRead(out var signal))
                {
                    switch (signal.Kind)
                    {
                        case SignalKind.StatsChanged:
                            statsChanged = true;
                            break;
                        case SignalKind.Canary:
                            check = true;
                            break;
                        case SignalKind.Connection:
                        case SignalKind.ResyncDone:
                            check = true; // a reconnect may hide a wiped etcd; the last resync done starts the canary
                            Handle(signal, ct);
                            break;
                        default:
                            Handle(signal, ct);
                            break;
                    }
                }

                if (done == statsDue)
                {
                    statsDue = null;
                    check = true;
                }

                if (check)
                {
                    // While the reflectors' resync writes are still draining, look again every interval.
                    statsDue = await CheckDataLossAndWriteStatsAsync(ct).ConfigureAwait(false) ? Task.Delay(StatsInterval, _time, ct) : null;
                }
                else if (statsChanged && statsDue is null)
                {
                    statsDue = Task.Delay(StatsInterval, _time, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutdown
        }
        finally
        {
            StopCanary();
            _epoch?.Cancel();
            _epoch?.Dispose();
            try
            {
                await Task.WhenAll(writers.Concat(_resyncs.Values.Select(r => r.Task))).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void OnStatisticsChanged()
    {
        if (Interlocked.Exchange(ref _statsDirty, 1) == 0)
        {
            _signals.Writer.TryWrite(new Signal(SignalKind.StatsChanged, null));
        }
    }

    private void Handle(Signal signal, CancellationToken ct)
    {
        switch (signal.Kind)
        {
            case SignalKind.Connection:
                SetWritable(_store.ConnectionState == StoreConnectionState.Connected, _leader, "etcd connection " + _store.ConnectionState, ct);
                break;
            case SignalKind.Leadership:
                SetWritable(_connected, signal.Leader, signal.Leader ? "leadership gained" : "leadership lost", ct);
                break;
            case SignalKind.ReflectorFailed:
                if (Writable && signal.Reflector is { } r)
                {
                    StartResync(r);
                }

                break;
            case SignalKind.ResyncDone:
                if (signal.Reflector is { } done && _resyncs.TryGetValue(done, out var running) && running.Id == signal.Id)
                {
                    _resyncs.Remove(done);
                }

                break;
        }
    }

    private void SetWritable(bool connected, bool leader, string reason, CancellationToken ct)
    {
        var was = Writable;
        _connected = connected;
        _leader = leader;
        if (was == Writable)
        {
            return;
        }

        if (Writable)
        {
            LogWritable(_log, reason);
            FullResync(ct);
        }
        else
        {
            LogSuspended(_log, reason);
            StopCanary();
            _epoch?.Cancel();
            foreach (var r in _reflectors)
            {
                r.Suspend();
            }
        }
    }

    private void FullResync(CancellationToken ct)
    {
        Interlocked.Increment(ref _fullResyncs);
        _epoch?.Cancel();
        _epoch?.Dispose();
        _epoch = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _resyncs.Clear();
        _lastStatsRevision = 0;
        _lastStats = null;
        StopCanary();
        foreach (var r in _reflectors)
        {
            r.Suspend();
            StartResync(r);
        }
    }

    private void StartResync(Reflector reflector)
    {
        if (_epoch is null || _resyncs.ContainsKey(reflector))
        {
            return;
        }

        var token = _epoch.Token;
        var id = ++_nextResyncId;
        _resyncs[reflector] = (id, Task.Run(() => ResyncWithRetryAsync(reflector, id, token), CancellationToken.None));
    }

    private async Task ResyncWithRetryAsync(Reflector reflector, long id, CancellationToken ct)
    {
        var backoff = MinBackoff;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await reflector.ResyncAsync(ct).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    LogResyncFailed(_log, reflector.Name, backoff.TotalMilliseconds, e.Message);
                    await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                    backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            _signals.Writer.TryWrite(new Signal(SignalKind.ResyncDone, reflector, Id: id));
        }
    }

    /// <returns>True when it must run again later: writable, but the reflectors are not all synced yet.</returns>
    private async Task<bool> CheckDataLossAndWriteStatsAsync(CancellationToken ct)
    {
        Interlocked.Exchange(ref _statsDirty, 0);
        if (!AllSynced || _epoch is null)
        {
            return Writable && _epoch is not null;
        }

        var token = _epoch.Token;
        try
        {
            Interlocked.Increment(ref _canaryChecks);
            var current = await _store.GetAsync(StatsKey, token).ConfigureAwait(false);
            if (_lastStatsRevision > 0 && (current is null || current.ModRevision < _lastStatsRevision))
            {
                Interlocked.Increment(ref _dataLossEvents);
                LogDataLoss(_log, StatsKey, _lastStatsRevision, current?.ModRevision ?? 0);
                FullResync(ct);
                return false;
            }

            // Unchanged statistics are not rewritten: an idle cluster then costs nothing. The canary stays
            // valid: the key keeps the revision we last wrote.
            var stats = ProtoJson.Format(StatsRecord());
            if (stats != _lastStats || current is null || current.ModRevision != _lastStatsRevision)
            {
                _lastStatsRevision = await _store.PutAsync(StatsKey, stats, 0, token).ConfigureAwait(false);
                _lastStats = stats;
            }

            StartCanary(_lastStatsRevision + 1, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (StoreException e)
        {
            LogStatsFailed(_log, e.Message);
            RetryCanaryLater(token);
        }

        return false;
    }

    /// <summary>Watches the statistics key from <paramref name="from"/> (the revision after our last write): anything that happens to it wakes the data-loss check.</summary>
    private void StartCanary(long from, CancellationToken epoch)
    {
        if (_canaryStop is { IsCancellationRequested: false } && _canaryFrom == from)
        {
            return;
        }

        StopCanary();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(epoch);
        _canaryStop = stop;
        _canaryFrom = from;
        _ = Task.Run(() => WatchCanaryAsync(from, stop.Token), CancellationToken.None);
    }

    private void StopCanary()
    {
        if (_canaryStop is { } stop)
        {
            _canaryStop = null;
            stop.Cancel();
            stop.Dispose();
        }
    }

    private async Task WatchCanaryAsync(long from, CancellationToken ct)
    {
        try
        {
            await foreach (var e in _store.WatchAsync(StatsKey, from, ct).ConfigureAwait(false))
            {
                if (e.Key == StatsKey)
                {
                    _signals.Writer.TryWrite(new Signal(SignalKind.Canary, null));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e)
        {
            // Store reset (etcd's revision went below ours), compaction or another error: check now.
            LogCanaryWatchEnded(_log, e.Message);
            _signals.Writer.TryWrite(new Signal(SignalKind.Canary, null));
        }
    }

    /// <summary>After a failed check: try again in <see cref="StatsInterval"/> (etcd answers errors; a broken connection also signals).</summary>
    private void RetryCanaryLater(CancellationToken epoch)
    {
        StopCanary();
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(StatsInterval, _time, epoch).ConfigureAwait(false);
                _signals.Writer.TryWrite(new Signal(SignalKind.Canary, null));
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    private readonly record struct Signal(SignalKind Kind, Reflector? Reflector, bool Leader = false, long Id = 0);

    [LoggerMessage(Level = LogLevel.Information, Message = "writing to etcd ({Reason}): full mark-and-sweep resync")]
    private static partial void LogWritable(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "writes to etcd suspended ({Reason})")]
    private static partial void LogSuspended(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reflector}: resync failed, retrying in {DelayMs} ms: {Reason}")]
    private static partial void LogResyncFailed(ILogger log, string reflector, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "data loss detected: {Key} was written at revision {Last} but now has revision {Now} (0 = missing); full resync")]
    private static partial void LogDataLoss(ILogger log, string key, long last, long now);

    [LoggerMessage(Level = LogLevel.Information, Message = "watch on the statistics key ended ({Reason}); checking it")]
    private static partial void LogCanaryWatchEnded(ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "writing KSR statistics failed: {Reason}")]
    private static partial void LogStatsFailed(ILogger log, string reason);
}
