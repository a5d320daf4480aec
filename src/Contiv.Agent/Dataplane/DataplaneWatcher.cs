using Contiv.Agent.Controller;
using Contiv.Model.Vpp;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.Dataplane;

/// <summary>The data plane restarted (new PID): everything must be read back and re-created.</summary>
internal sealed class DataplaneRestarted(uint oldPid, uint newPid) : AgentEvent
{
    /// <inheritdoc/>
    public override string Name => "Data Plane Restarted";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.DownstreamResync;

    /// <inheritdoc/>
    public override string ToString() => $"Data Plane Restarted (pid {oldPid} -> {newPid})";
}

/// <summary>
/// Probes <c>contiv-vpp</c> every interval (like govpp's health check) and pushes a
/// <see cref="DataplaneRestarted"/> resync when its process changed, so a restarted data plane gets
/// its whole configuration back without an agent restart.
/// </summary>
/// <param name="dataplane">The data plane client.</param>
/// <param name="loop">Where a restart is reported.</param>
/// <param name="log">Logger.</param>
/// <param name="interval">Time between probes.</param>
/// <param name="time">Clock of the probe interval and of <see cref="WaitUpAsync"/>'s deadline (null: the system clock).</param>
internal sealed class DataplaneWatcher(DataplaneConnection dataplane, EventLoop loop, ILogger log, TimeSpan interval, TimeProvider? time = null) : IAsyncDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CancellationTokenSource _stop = new();
    private Task? _task;
    private uint _pid;
    private bool _down;

    /// <summary>True while the data plane answers.</summary>
    public bool Up => !_down && _pid != 0;

    /// <summary>Waits until the data plane answers (or the timeout passes); returns whether it does.</summary>
    public async Task<bool> WaitUpAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + timeout;
        var logged = false;
        while (_time.GetUtcNow() < deadline && !ct.IsCancellationRequested)
        {
            if (await ProbeAsync(ct).ConfigureAwait(false) is { } v)
            {
                _pid = v.Pid;
                log.LogInformation("data plane {Version} (pid {Pid}) at {Socket}", v.Version, v.Pid, dataplane.SocketPath);
                return true;
            }

            if (!logged)
            {
                log.LogInformation("waiting for the data plane at {Socket}", dataplane.SocketPath);
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
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var v = await ProbeAsync(_stop.Token).ConfigureAwait(false);
            if (v is null)
            {
                if (!_down)
                {
                    log.LogWarning("data plane at {Socket} stopped answering", dataplane.SocketPath);
                    _down = true;
                }

                continue;
            }

            if (_down)
            {
                log.LogInformation("data plane at {Socket} answers again (pid {Pid})", dataplane.SocketPath, v.Pid);
                _down = false;
            }

            if (_pid != 0 && v.Pid != _pid)
            {
                log.LogWarning("data plane restarted (pid {Old} -> {New}); re-applying the configuration", _pid, v.Pid);
                loop.TryPush(new DataplaneRestarted(_pid, v.Pid));
            }

            _pid = v.Pid;
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
