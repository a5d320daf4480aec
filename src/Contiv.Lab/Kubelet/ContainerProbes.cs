using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// The startup, readiness and liveness probes of one run of a container (started with it, disposed when it stops
/// or restarts). Without a readiness probe the container is ready while it runs; with one, only once the probe
/// passed. A startup probe, as in Kubernetes, holds the other two back until it passes once (it then stops), and
/// the container is not ready before; a startup or liveness probe that reached its failure threshold asks the
/// pod worker to restart the container. So a probe can run rarely once the container is up (a readiness period of
/// 10 s) while a frequent startup probe still finds it ready within a second of starting.
/// </summary>
internal sealed class ContainerProbes : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly V1Container _spec;
    private readonly string _netnsPath;
    private readonly string? _podIp;
    private readonly ContainerCommand _exec;
    private readonly Action<ProbeRunner, string?> _changed;
    private readonly ProbeRunner? _startup;
    private volatile ProbeRunner? _readiness;
    private volatile ProbeRunner? _liveness;
    private volatile bool _started;

    /// <summary>Starts the container's probes against its pod network <paramref name="netnsPath"/>; exec probes run through <paramref name="exec"/>.</summary>
    public ContainerProbes(V1Container spec, string netnsPath, string? podIp, ContainerCommand exec, Action<ProbeRunner, string?> changed)
    {
        _spec = spec;
        _netnsPath = netnsPath;
        _podIp = podIp;
        _exec = exec;
        _changed = changed;
        if (spec.StartupProbe is { } startup)
        {
            _startup = new ProbeRunner("Startup", startup, spec, netnsPath, podIp, exec, (probe, failure) =>
            {
                if (probe.Succeeded == true)
                {
                    StartOthers();
                }

                changed(probe, failure);
            }, stopOnSuccess: true);
            _ = Task.Run(() => _startup.RunAsync(_stop.Token), CancellationToken.None);
        }
        else
        {
            StartOthers();
        }
    }

    /// <summary>True when the startup probe (if any) passed and there is no readiness probe or it currently passes.</summary>
    public bool Ready => _started && (_readiness is not { } r || r.Succeeded == true);

    /// <summary>True once the startup or the liveness probe reached its failure threshold.</summary>
    public bool LivenessFailed => _startup?.Succeeded == false || _liveness?.Succeeded == false;

    private void StartOthers()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        if (_spec.ReadinessProbe is { } readiness)
        {
            _readiness = new ProbeRunner("Readiness", readiness, _spec, _netnsPath, _podIp, _exec, _changed);
            var r = _readiness;
            _ = Task.Run(() => r.RunAsync(_stop.Token), CancellationToken.None);
        }

        if (_spec.LivenessProbe is { } liveness)
        {
            _liveness = new ProbeRunner("Liveness", liveness, _spec, _netnsPath, _podIp, _exec, _changed);
            var l = _liveness;
            _ = Task.Run(() => l.RunAsync(_stop.Token), CancellationToken.None);
        }

        _started = true;
    }

    /// <summary>Stops probing.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
