using Contiv.Linux;
using Microsoft.Extensions.Logging;

namespace Contiv.Stn;

/// <summary>
/// SPEC §1.8 health check: a while after the first steal the data plane's host interface (<c>vpp1</c>)
/// must exist, else every interface goes back at once; from then on a link-state watch gives every
/// interface back as soon as <c>vpp1</c> stops being operational (or disappears with its data plane).
/// Ends when nothing is stolen any more and arms itself again at the next steal.
/// </summary>
internal sealed class HostTapHealthCheck : IAsyncDisposable
{
    private readonly StolenInterfaces _stolen;
    private readonly NetworkNamespace? _ns;
    private readonly string _tapName;
    private readonly TimeSpan _delay;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task _running = Task.CompletedTask;
    private long _lastArmed;

    public HostTapHealthCheck(StolenInterfaces stolen, NetworkNamespace? ns, string tapName, TimeSpan delay, ILogger log)
    {
        _stolen = stolen;
        _ns = ns;
        _tapName = tapName;
        _delay = delay;
        _log = log;
        stolen.Stolen += Arm;
    }

    /// <summary>
    /// Starts the check (after the delay) unless it is already watching; a check still waiting starts its delay
    /// again, so that a data plane restarted within the delay (release, then a new steal) gets the whole delay to
    /// create its host interface.
    /// </summary>
    public void Arm()
    {
        lock (_gate)
        {
            _lastArmed = Environment.TickCount64;
            if (!_running.IsCompleted || _stopping.IsCancellationRequested)
            {
                return;
            }

            _running = Task.Run(() => RunAsync(_stopping.Token));
        }
    }

    /// <summary>Stops the check.</summary>
    public async ValueTask DisposeAsync()
    {
        _stolen.Stolen -= Arm;
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task running;
        lock (_gate)
        {
            running = _running;
        }

        await running.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private TimeSpan RemainingDelay()
    {
        lock (_gate)
        {
            return _delay - TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastArmed);
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (RemainingDelay() is { } wait && wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }

            if (_stolen.Count == 0)
            {
                return;
            }

            using var watcher = LinkWatcher.Start(_ns);
            if (!watcher.InitialLinks.Any(l => l.Name == _tapName))
            {
                await _stolen.RevertAllAsync($"host interface {_tapName} of the data plane does not exist {_delay.TotalSeconds:0.#} s after the steal", ct).ConfigureAwait(false);
                return;
            }

            _log.LogInformation("health check: watching {Tap}", _tapName);
            await foreach (var e in watcher.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (e.Link.Name == _tapName && e.Kind is LinkEventKind.Down or LinkEventKind.Deleted)
                {
                    await _stolen.RevertAllAsync($"host interface {_tapName} is {(e.Kind == LinkEventKind.Down ? "down" : "gone")}: the data plane died", ct).ConfigureAwait(false);
                    return;
                }

                if (_stolen.Count == 0)
                {
                    return; // everything released on request
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (NetlinkException e)
        {
            _log.LogError("health check failed: {Error}; reverting every stolen interface", e.Message);
            await _stolen.RevertAllAsync("the health check cannot watch links: " + e.Message, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
