using System.Text.Json;
using Contiv.Agent.Controller;
using Contiv.Model;
using Contiv.Store;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.Kube;

/// <summary>
/// The agent's dbwatcher (SPEC §1.6.1): mirrors <c>/vnf-agent/contiv-ksr/</c> into the event loop — a
/// <see cref="DbResync"/> for every full snapshot (startup, reconnect after compaction, resync request)
/// and a <see cref="KubeStateChange"/> per watched change. The last state is also saved to a local file
/// so that an agent restarted while etcd is down still gets its startup resync: at once for a snapshot, and at
/// most once per <see cref="MirrorSaveDelay"/> for changes (the file holds every record, so saving it per change
/// made a burst of N changes cost O(N²) bytes and 2N fsyncs). When etcd comes back
/// after being unreachable, the watch is restarted from a fresh snapshot (a remote resync, SPEC
/// §1.6.1), so nothing that changed while the agent was cut off depends on a resumed watch alone.
/// </summary>
internal sealed class KsrWatcher : IAsyncDisposable
{
    private readonly IEtcdBroker _broker;
    private readonly EventLoop _loop;
    private readonly ILogger _log;
    private readonly string? _mirrorFile;
    private readonly TimeSpan _delayLocalResync;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, (string Resource, string Json, IMessage Value)> _current = new(StringComparer.Ordinal);

    /// <summary>Guards <see cref="_current"/> between the watch and a delayed mirror save, and the save's scheduling.</summary>
    private readonly object _mirrorGate = new();

    /// <summary>Serializes writes of the mirror file (one temp file).</summary>
    private readonly object _mirrorWrite = new();
    private Task _pendingSave = Task.CompletedTask;
    private bool _savePending;
    private CancellationTokenSource? _round;
    private Task? _task;
    private volatile bool _gotRemote;

    /// <summary>Creates the watcher; <paramref name="mirrorFile"/> null disables the local mirror.</summary>
    /// <param name="broker">etcd.</param>
    /// <param name="loop">Where snapshots and changes go.</param>
    /// <param name="log">Logger.</param>
    /// <param name="mirrorFile">Local mirror of the last state (null: none).</param>
    /// <param name="delayLocalResync">How long etcd may be unreachable at start before the mirror is replayed.</param>
    /// <param name="time">Clock of that delay and of the watch's retry pause.</param>
    public KsrWatcher(IEtcdBroker broker, EventLoop loop, ILogger log, string? mirrorFile, TimeSpan delayLocalResync, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _broker = broker;
        _loop = loop;
        _log = log;
        _mirrorFile = mirrorFile;
        _delayLocalResync = delayLocalResync;
    }

    /// <summary>How long changes are gathered before the mirror is saved again.</summary>
    public static TimeSpan MirrorSaveDelay { get; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Starts watching.</summary>
    public void Start()
    {
        _broker.ConnectionStateChanged += OnConnectionStateChanged;
        _task = Task.Run(RunAsync);
        _ = Task.Run(LocalResyncAsync);
    }

    /// <summary>Asks for a fresh snapshot and full resync (<c>POST /controller/resync</c>).</summary>
    public void RequestResync()
    {
        _log.LogInformation("resync requested: restarting the etcd watch with a fresh snapshot");
        CancelRound();
    }

    private void CancelRound()
    {
        try
        {
            _round?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // that round has just ended; the next one starts with a fresh snapshot anyway
        }
    }

    private void OnConnectionStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        if (e.Previous == StoreConnectionState.Disconnected && e.Current == StoreConnectionState.Connected && _gotRemote)
        {
            _log.LogInformation("etcd reachable again: restarting the watch of {Prefix} with a fresh snapshot (remote resync)", Keys.KsrPrefix);
            CancelRound();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _broker.ConnectionStateChanged -= OnConnectionStateChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_task is not null)
        {
            try
            {
                await _task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        Task pending;
        lock (_mirrorGate)
        {
            pending = _pendingSave;
        }

        await pending.ConfigureAwait(false); // a gathered save runs at once on shutdown

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var round = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            _round = round;
            try
            {
                await foreach (var u in _broker.SyncAsync(Keys.KsrPrefix, round.Token).ConfigureAwait(false))
                {
                    if (u.Kind == SyncUpdateKind.Resync)
                    {
                        OnSnapshot(u.Snapshot!);
                    }
                    else
                    {
                        OnChange(u.Event!);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // resync requested: loop for a fresh snapshot
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.LogWarning("etcd watch of {Prefix} failed: {Error}; retrying", Keys.KsrPrefix, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void OnSnapshot(PrefixSnapshot snapshot)
    {
        var parsed = new Dictionary<string, (string Resource, string Json, IMessage Value)>(StringComparer.Ordinal);
        foreach (var kv in snapshot.Items)
        {
            var rel = kv.Key[Keys.KsrPrefix.Length..];
            var resource = KubeResources.ResourceOf(rel);
            if (resource is null)
            {
                continue;
            }

            try
            {
                parsed[rel] = (resource, kv.Value, KubeResources.Parse(resource, kv.Key, kv.Value));
            }
            catch (FormatException e)
            {
                _log.LogWarning("ignoring {Key}: {Error}", kv.Key, e.Message);
            }
        }

        lock (_mirrorGate)
        {
            _current.Clear();
            foreach (var (rel, entry) in parsed)
            {
                _current[rel] = entry;
            }
        }

        _gotRemote = true;
        _loop.TryPush(new DbResync(BuildState()));
        SaveMirror();
    }

    private void OnChange(StoreEvent ev)
    {
        var rel = ev.Key[Keys.KsrPrefix.Length..];
        var resource = KubeResources.ResourceOf(rel);
        if (resource is null)
        {
            return;
        }

        _current.TryGetValue(rel, out var prev);
        IMessage? next = null;
        if (ev.Kind == StoreEventKind.Put)
        {
            try
            {
                next = KubeResources.Parse(resource, ev.Key, ev.Current.Value);
                lock (_mirrorGate)
                {
                    _current[rel] = (resource, ev.Current.Value, next);
                }
            }
            catch (FormatException e)
            {
                _log.LogWarning("ignoring change of {Key}: {Error}", ev.Key, e.Message);
                return;
            }
        }
        else
        {
            if (prev.Value is null)
            {
                return;
            }

            lock (_mirrorGate)
            {
                _current.Remove(rel);
            }
        }

        if (!_loop.TryPush(new KubeStateChange(resource, rel, prev.Value, next)))
        {
            // The change is lost for the loop: a full resync from a fresh snapshot repairs that.
            RequestResync();
        }

        ScheduleMirrorSave();
    }

    private KubeStateData BuildState()
    {
        var state = new KubeStateData();
        foreach (var (key, (resource, _, value)) in _current)
        {
            state.Set(resource, key, value);
        }

        return state;
    }

    private async Task LocalResyncAsync()
    {
        if (_mirrorFile is null || !File.Exists(_mirrorFile))
        {
            return;
        }

        try
        {
            await Task.Delay(_delayLocalResync, _time, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (_gotRemote || _loop.StartupResyncDone)
        {
            return;
        }

        try
        {
            var saved = JsonSerializer.Deserialize(await File.ReadAllTextAsync(_mirrorFile).ConfigureAwait(false), AgentJson.Default.DictionaryStringString) ?? [];
            var state = new KubeStateData();
            foreach (var (rel, json) in saved)
            {
                var resource = KubeResources.ResourceOf(rel);
                if (resource is not null)
                {
                    state.Set(resource, rel, KubeResources.Parse(resource, rel, json));
                }
            }

            _log.LogWarning("etcd unreachable for {Delay}; startup resync from the local mirror {File} ({Count} items)", _delayLocalResync, _mirrorFile, saved.Count);
            _loop.TryPush(new DbResync(state, local: true));
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException)
        {
            _log.LogWarning("local mirror {File} unusable: {Error}", _mirrorFile, e.Message);
        }
    }

    /// <summary>Saves the mirror after <see cref="MirrorSaveDelay"/> (or at shutdown), once for all changes until then.</summary>
    private void ScheduleMirrorSave()
    {
        if (_mirrorFile is null)
        {
            return;
        }

        lock (_mirrorGate)
        {
            if (_savePending)
            {
                return;
            }

            _savePending = true;
            _pendingSave = SaveMirrorLaterAsync();
        }
    }

    private async Task SaveMirrorLaterAsync()
    {
        try
        {
            await Task.Delay(MirrorSaveDelay, _time, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // shutting down: save what was gathered now
        }

        lock (_mirrorGate)
        {
            _savePending = false;
        }

        SaveMirror();
    }

    private void SaveMirror()
    {
        if (_mirrorFile is null)
        {
            return;
        }

        try
        {
            lock (_mirrorWrite)
            {
                Dictionary<string, string> data;
                lock (_mirrorGate)
                {
                    data = _current.ToDictionary(kv => kv.Key, kv => kv.Value.Json, StringComparer.Ordinal);
                }

                PodManager.DurableFile.WriteAllText(_mirrorFile, JsonSerializer.Serialize(data, AgentJson.Default.DictionaryStringString));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("cannot save the local mirror {File}: {Error}", _mirrorFile, e.Message);
        }
    }
}
