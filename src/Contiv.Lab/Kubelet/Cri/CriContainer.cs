using Contiv.Lab.Kubelet.Cri.V1;
using k8s.Models;

namespace Contiv.Lab.Kubelet.Cri;

/// <summary>
/// What the kubelet stand-in tracks about one container of a pod run by a CRI runtime: the spec, the
/// runtime's id of the current attempt and the state the runtime last reported for it.
/// </summary>
internal sealed class CriContainer(V1Container spec)
{
    /// <summary>The container's spec in the pod.</summary>
    public V1Container Spec { get; } = spec;

    /// <summary>Container name.</summary>
    public string Name => Spec.Name;

    /// <summary>The runtime's container id of the current attempt, null before the first CreateContainer.</summary>
    public string? Id { get; set; }

    /// <summary>Attempt number (CRI <c>ContainerMetadata.attempt</c>): 0, then one more per restart.</summary>
    public uint Attempt { get; set; }

    /// <summary>Restarts so far (the pod status' <c>restartCount</c>).</summary>
    public int RestartCount { get; set; }

    /// <summary>State last reported by the runtime.</summary>
    public ContainerState State { get; set; } = ContainerState.ContainerUnknown;

    /// <summary>When the current (or last) attempt started.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the last attempt ended.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Exit code of the last attempt, if it ended.</summary>
    public int? ExitCode { get; set; }

    /// <summary>Why the container waits (e.g. an image the runtime does not have), for the status.</summary>
    public string? WaitingReason { get; set; }

    /// <summary>The runtime's message for <see cref="WaitingReason"/>.</summary>
    public string? WaitingMessage { get; set; }

    /// <summary>The current attempt's process (host PID namespace), from the runtime's verbose status; null when unknown.</summary>
    public int? Pid { get; set; }

    /// <summary>The readiness/liveness probes of the current attempt, null without probes or when it does not run.</summary>
    public ContainerProbes? Probes { get; set; }

    /// <summary>Running, and its readiness probe (if any) passed.</summary>
    public bool IsReady => IsRunning && (Probes?.Ready ?? true);

    /// <summary>Stops the current attempt's probes.</summary>
    public void StopProbes()
    {
        Probes?.Dispose();
        Probes = null;
    }

    /// <summary>True while the runtime reports it running.</summary>
    public bool IsRunning => State == ContainerState.ContainerRunning;

    /// <summary>True once the current attempt has exited.</summary>
    public bool HasExited => State == ContainerState.ContainerExited;

    /// <summary>Takes over what <c>ContainerStatus</c> reported.</summary>
    public void Apply(ContainerStatus status)
    {
        State = status.State;
        StartedAt = status.StartedAt > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(status.StartedAt / 1_000_000) : StartedAt;
        if (status.State == ContainerState.ContainerExited)
        {
            ExitCode = status.ExitCode;
            FinishedAt = status.FinishedAt > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(status.FinishedAt / 1_000_000) : DateTimeOffset.UtcNow;
        }
    }
}
