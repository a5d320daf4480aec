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
/// Watches <c>contiv-vpp</c>'s liveness. While it answers, a connection to its liveness socket (<see cref="DataplaneLiveness"/>)
/// stays open: the moment the process dies the kernel closes it and the data plane is probed at once, so an idle agent
/// sends no request (govpp probes every second) and keeps no HTTP/2 connection open to the API (whose server would tick
/// it every second); a hung data plane is caught by a ping on that connection every <c>10 × interval</c>. While it does not
/// answer it is probed every interval and the loop's readiness is false; when it answers with another instance identity
/// (a restart, even with the same pid, as in a container) a <see cref="DataplaneRestarted"/> resync gives it its whole
/// configuration back without an agent restart. A data plane without the liveness socket is probed every
/// <c>10 × interval</c> instead.
/// </summary>
/// <param name="dataplane">The data plane client.</param>
/// <param name="loop">Where a restart and the reachability are reported.</param>
/// <param name="log">Logger.</param>
/// <param name="interval">Time between probes while the data plane does not answer (and 1/10 of the fallback probe interval while it does).</param>
/// <param name="time">Clock of the probe interval and of <see cref="WaitUpAsync"/>'s deadline (null: the system clock).</param>
internal sealed class DataplaneWatcher(DataplaneConnection dataplane, EventLoop loop, ILogger log, TimeSpan interval, TimeProvider? time = null) : IAsyncDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CancellationTokenSource _stop = new();
    private readonly string _livenessPath = DataplaneLiveness.PathFor(dataplane.SocketPath);
    private bool _noLiveness;
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
            // Opened before the probe: a restart after the probe ends this connection, one before it shows as another instance.
            var tryLiveness = _instance is not null && !_down;
            using var live = tryLiveness ? await LivenessConnection.TryOpenAsync(_livenessPath, ProbeTimeout, _stop.Token).ConfigureAwait(false) : null;
            var delay = live is not null ? wait : tryLiveness && _noLiveness ? fallback : interval;
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
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

            if (live is null)
            {
                if (tryLiveness && !_noLiveness)
                {
                    // A data plane without the socket (or one this agent may not open): restarts are seen by the fallback probe.
                    log.LogWarning("data plane at {Socket} has no usable liveness socket {Liveness}; probing it every {Fallback}", dataplane.SocketPath, _livenessPath, fallback);
                    _noLiveness = true;
                }

                wait = TimeSpan.Zero; // open it, probe once more
                continue;
            }

            _noLiveness = false;
            if (live.Instance != instance)
            {
                wait = TimeSpan.Zero; // restarted between the connection and the probe: look again
                continue;
            }

            // Idle: until the connection ends (the data plane died or restarted) or a ping every fallback interval goes unanswered.
            var started = _time.GetTimestamp();
            if (!await live.WatchAsync(fallback, ProbeTimeout, _time, _stop.Token).ConfigureAwait(false))
            {
                return;
            }

            // A connection that ends at once (a data plane closing it for some reason) must not make this a busy loop.
            wait = _time.GetElapsedTime(started) < interval ? interval : TimeSpan.Zero;
        }
    }

    private async Task<VersionReply?> ProbeAsync(CancellationToken ct)
    {
        try
        {
            return await dataplane.Client.GetVersionAsync(new Empty(), new CallOptions(deadline: DateTime.UtcNow + ProbeTimeout, cancellationToken: ct)).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            return null;
        }
    }
}
