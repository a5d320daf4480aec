using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;

namespace Contiv.Agent.PodManager;

/// <summary>CNI Add: wire a pod (blocking, revert on failure).</summary>
internal sealed class AddPod(PodId pod, string containerId, string networkNamespace, string interfaceName) : AgentEvent
{
    /// <summary>Pod identity.</summary>
    public PodId Pod { get; } = pod;

    /// <summary>Sandbox container ID.</summary>
    public string ContainerId { get; } = containerId;

    /// <summary>Pod netns path.</summary>
    public string NetworkNamespace { get; } = networkNamespace;

    /// <summary>Interface name in the pod.</summary>
    public string InterfaceName { get; } = interfaceName;

    /// <summary>Out: allocated pod IP.</summary>
    public string? PodIp { get; set; }

    /// <summary>Out: gateway of the pod.</summary>
    public string? Gateway { get; set; }

    /// <inheritdoc/>
    public override string Name => "Add Pod";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.Update;

    /// <inheritdoc/>
    public override bool IsBlocking => true;

    /// <inheritdoc/>
    public override UpdateTransactionType TransactionType => UpdateTransactionType.RevertOnFailure;

    /// <inheritdoc/>
    public override string ToString() => $"Add Pod {Pod} (container {ContainerId}, netns {NetworkNamespace})";
}

/// <summary>CNI Delete: unwire a pod (blocking, best effort ignoring errors, reverse handler order).</summary>
/// <param name="pod">Pod identity.</param>
/// <param name="containerId">Sandbox container ID of the request ("" when unknown): lets a retried Delete remove a TAP
/// that an earlier, failed Delete left behind after the pod was already forgotten.</param>
internal sealed class DeletePod(PodId pod, string containerId = "") : AgentEvent
{
    /// <summary>Pod identity.</summary>
    public PodId Pod { get; } = pod;

    /// <summary>Sandbox container ID given by the CNI request ("" when unknown).</summary>
    public string ContainerId { get; } = containerId;

    /// <inheritdoc/>
    public override string Name => "Delete Pod";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.Update;

    /// <inheritdoc/>
    public override bool IsBlocking => true;

    /// <inheritdoc/>
    public override UpdateTransactionType TransactionType => UpdateTransactionType.BestEffortIgnoreErrors;

    /// <inheritdoc/>
    public override EventDirection Direction => EventDirection.Reverse;

    /// <inheritdoc/>
    public override string ToString() => $"Delete Pod {Pod}";
}
