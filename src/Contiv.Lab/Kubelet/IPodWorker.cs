using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// One pod's life on this node, whatever runs it: <see cref="PodWorker"/> (containers as host
/// processes, the kubelet calls CNI itself) or <see cref="Cri.CriPodWorker"/> (a CRI runtime such as
/// containerd, which calls CNI). The kubelet service only feeds it pod versions and waits for it.
/// </summary>
internal interface IPodWorker
{
    /// <summary>The pod's UID.</summary>
    string Uid { get; }

    /// <summary>The pod's namespace.</summary>
    string Namespace { get; }

    /// <summary>The pod's name.</summary>
    string Name { get; }

    /// <summary>The path of the pod's network namespace once its sandbox has a network, else null.</summary>
    string? NetnsPath { get; }

    /// <summary>The mount namespace an interactive <c>kubectl exec</c> joins (the process runner: the pod's own resolv.conf; CRI: the container's root file system), or null for the node's.</summary>
    string? MountNamespacePath { get; }

    /// <summary>Completes when the worker has removed the pod (or the kubelet stopped).</summary>
    Task Completion { get; }

    /// <summary>Starts the worker loop.</summary>
    void Start(CancellationToken ct);

    /// <summary>A newer version of the pod arrived.</summary>
    void Update(V1Pod pod);

    /// <summary>The pod object is gone from the API server.</summary>
    void MarkRemoved();
}
