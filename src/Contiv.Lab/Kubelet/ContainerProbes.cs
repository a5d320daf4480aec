using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// The readiness and liveness probes of one run of a container (started with it, disposed when it stops or
/// restarts). Without a readiness probe the container is ready while it runs; with one, only once the probe
/// passed. A liveness probe that reached its failure threshold asks the pod worker to restart the container.
/// </summary>
internal sealed class ContainerProbes : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ProbeRunner? _readiness;
    private readonly ProbeRunner? _liveness;

    /// <summary>Starts the container's probes against its pod network <paramref name="netnsPath"/>; exec probes run through <paramref name="exec"/>.</summary>
    public ContainerProbes(V1Container spec, string netnsPath, string? podIp, ContainerCommand exec, Action<ProbeRunner, string?> changed)
    {
        if (spec.ReadinessProbe is { } readiness)
        {
            _readiness = new ProbeRunner("Readiness", readiness, spec, netnsPath, podIp, exec, changed);
            _ = Task.Run(() => _readiness.RunAsync(_stop.Token), CancellationToken.None);
        }

        if (spec.LivenessProbe is { } liveness)
        {
            _liveness = new ProbeRunner("Liveness", liveness, spec, netnsPath, podIp, exec, changed);
            _ = Task.Run(() => _liveness.RunAsync(_stop.Token), CancellationToken.None);
        }
    }

    /// <summary>True when there is no readiness probe or it currently passes.</summary>
    public bool Ready => _readiness is null || _readiness.Succeeded == true;

    /// <summary>True once the liveness probe reached its failure threshold.</summary>
    public bool LivenessFailed => _liveness?.Succeeded == false;

    /// <summary>Stops probing.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
