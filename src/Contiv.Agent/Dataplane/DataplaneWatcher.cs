using Contiv.Agent.Controller;
using Contiv.Model.Vpp;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.Dataplane;

/// <summary>The data plane restarted (new instance): everything must be read back and re-created.</summary>
internal sealed class DataplaneRestarted(string oldInstance, string newInstance) : AgentEvent
{
    /// <inheritdoc/>
    public override string Name => "Data Plane Restarted";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.DownstreamResync;

    /// <inheritdoc/>
    public override string ToString() => $"Data Plane Restarted ({oldInstance} -> {newInstance})";
}

/// <summary>
/// Watches <c>contiv-vpp</c>'s liveness. While it answers, a streaming call to it (<c>WatchInterfaces</c>) stays open:
/// the moment the process dies its socket closes, the stream breaks and the data plane is probed at once, so an idle
/// agent sends no request (govpp probes every second); a hung data plane is caught by a probe every
/// <c>10 × interval</c> as a fallback. While it does not answer it is probed every interval and the loop's readiness
/// is false; when it answers with another instance identity (a restart, even with the same pid, as in a container) a
/// <see cref="DataplaneRestarted"/> resync gives it its whole configuration back without an agent restart.
/// </summary>
/// <param name="dataplane">The data plane client.</param>
/// <param name="loop">Where a restart and the reachability are reported.</param>
/// <param name="log">Logger.</param>
/// <param name="interval">Time between probes while the data plane does not answer (and 1/10 of the fallback probe interval while it does).</param>
/// <param name="time">Clock of the probe interval and of <see cref="WaitUpAsync"/>'s deadline (null: the system clock).</param>
internal sealed class DataplaneWatcher(DataplaneConnection dataplane, EventLoop loop, ILogger log, TimeSpan interval, TimeProvider? time = null) : IAsyncDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CancellationTokenSource _stop = new();
    private Task? _task;
    private string? _instance;
    private bool _down;
    private Task? _replay;

    /// <summary>Number of probes sent since <see cref="Start"/> (for tests: none while an idle data plane answers).</summary>
    public long Probes => Interlocked.Read(ref _probes);

    private long _probes;

    /// <summary>True while the data plane answers.</summary>
    public bool Up => !_down && _instance is not null;

    /// <summary>
    /// Identity of one start of the data plane: its instance ID, or for a daemon that reports none its pid (which a
    /// restart in a container keeps, so such a restart goes unnoticed).
    /// </summary>
    public static string InstanceOf(VersionReply v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return v.InstanceId.Length > 0 ? v.InstanceId : $"pid {v.Pid}";
    }

    /// <summary>Waits until the data plane answers (or the timeout passes); returns whether it does.</summary>
    public async Task<bool> WaitUpAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + timeout;
        var logged = false;
        while (_time.GetUtcNow() < deadline && !ct.IsCancellationRequested)
        {
            if (await ProbeAsync(ct).ConfigureAwait(false) is { } v)
            {
                _instance = InstanceOf(v);
                loop.SetDownstreamProblem(null);
                log.LogInformation("data plane {Version} (pid {Pid}, instance {Instance}) at {Socket}", v.Version, v.Pid, _instance, dataplane.SocketPath);
                return true;
            }

            if (!logged)
            {
                log.LogInformation("waiting for the data plane at {Socket}", dataplane.SocketPath);
                loop.SetDownstreamProblem($"data plane at {dataplane.SocketPath} not answering yet");
                logged = true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, ct).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>Starts probing.</summary>
    public void Start() => _task = Task.Run(RunAsync);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
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

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var fallback = interval * 10;
        var wait = interval;
        while (!_stop.IsCancellationRequested)
        {
            // Opened before the probe on the same connection: a restart after the probe breaks this stream.
            using var stream = _instance is not null && !_down ? OpenLivenessStream() : null;
            if (wait > TimeSpan.Zero || stream is null)
            {
                try
                {
                    await Task.Delay(stream is null ? interval : wait, _time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            Interlocked.Increment(ref _probes);
            var v = await ProbeAsync(_stop.Token).ConfigureAwait(false);
            if (v is null)
            {
                if (!_down)
                {
                    log.LogWarning("data plane at {Socket} stopped answering; not ready until it is back", dataplane.SocketPath);
                    loop.SetDownstreamProblem($"data plane at {dataplane.SocketPath} not answering since {_time.GetUtcNow():O}");
                    _down = true;
                }

                wait = interval;
                continue;
            }

            var instance = InstanceOf(v);
            if (_down)
            {
                log.LogInformation("data plane at {Socket} answers again (pid {Pid}, instance {Instance})", dataplane.SocketPath, v.Pid, instance);
                _down = false;
            }

            if (_instance is not null && instance != _instance)
            {
                log.LogWarning("data plane restarted ({Old} -> {New}, pid {Pid}); re-applying the configuration", _instance, instance, v.Pid);
                var restarted = new DataplaneRestarted(_instance, instance);
                if (loop.TryPush(restarted))
                {
                    // Not ready before the configuration is back: pods of a half-configured data plane have no network.
                    _replay = restarted.Completion;
                }
            }

            _instance = instance;
            loop.SetDownstreamProblem(_replay is { IsCompleted: false } ? "re-applying the configuration to the restarted data plane" : null);
            if (_replay is { IsCompleted: false } replay)
            {
                // Readiness follows the replay: look again when it is done (or after an interval).
                await Task.WhenAny(replay, Task.Delay(interval, _time, _stop.Token)).ConfigureAwait(false);
                wait = TimeSpan.Zero;
                continue;
            }

            if (stream is null)
            {
                wait = TimeSpan.Zero; // open the stream, probe once more
                continue;
            }

            // Idle: until the stream breaks (the data plane died or restarted) or the fallback probe is due.
            var started = _time.GetTimestamp();
            var broke = await WaitStreamEndAsync(stream, fallback).ConfigureAwait(false);
            // A stream that ends at once (a data plane without the call) must not make this a busy loop.
            wait = broke && _time.GetElapsedTime(started) < interval ? interval : TimeSpan.Zero;
        }
    }

    private AsyncServerStreamingCall<InterfaceEvent>? OpenLivenessStream()
    {
        try
        {
            return dataplane.Client.WatchInterfaces(new Empty(), new CallOptions(cancellationToken: _stop.Token));
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>Reads (and ignores) the stream's events until it ends or <paramref name="timeout"/> passes; true when it ended.</summary>
    private async Task<bool> WaitStreamEndAsync(AsyncServerStreamingCall<InterfaceEvent> stream, TimeSpan timeout)
    {
        using var due = new CancellationTokenSource(timeout, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, due.Token);
        try
        {
            while (await stream.ResponseStream.MoveNext(deadline.Token).ConfigureAwait(false))
            {
            }

            return true;
        }
        catch (RpcException) when (!deadline.IsCancellationRequested)
        {
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException)
        {
            return false; // fallback probe due, or stopping
        }
    }

    private async Task<VersionReply?> ProbeAsync(CancellationToken ct)
    {
        try
        {
            return await dataplane.Client.GetVersionAsync(new Empty(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct)).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            return null;
        }
    }
}
