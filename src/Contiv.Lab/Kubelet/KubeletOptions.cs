namespace Contiv.Lab.Kubelet;

/// <summary>Settings of one kubelet stand-in (one per node).</summary>
public sealed class KubeletOptions
{
    /// <summary>Kubernetes node name.</summary>
    public required string NodeName { get; init; }

    /// <summary>The node's host network namespace (name under /run/netns).</summary>
    public required string NodeNetns { get; init; }

    /// <summary>The node's InternalIP (reported as hostIP; podIP of hostNetwork pods).</summary>
    public required string HostIp { get; init; }

    /// <summary>kubeconfig of the API server.</summary>
    public required string Kubeconfig { get; init; }

    /// <summary>CNI configuration directory (first *.conflist wins).</summary>
    public required string CniConfDir { get; init; }

    /// <summary>CNI_PATH: plugin directories separated by ':'.</summary>
    public required string CniBinPath { get; init; }

    /// <summary>Directory for sandbox records, pod logs and the CNI call log.</summary>
    public required string StateDir { get; init; }

    /// <summary>Prefix of the pod namespaces this kubelet creates.</summary>
    public required string PodNetnsPrefix { get; init; }

    /// <summary>Interval of the periodic CNI CHECK on running pods; <see cref="TimeSpan.Zero"/> = none (a real kubelet does not CHECK periodically).</summary>
    public TimeSpan CheckInterval { get; init; }

    /// <summary>Upper bound of a container's termination grace period.</summary>
    public TimeSpan MaxGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The cluster DNS Service IP written into pods' resolv.conf (kubelet's <c>--cluster-dns</c>); null: pods keep the node's resolv.conf.</summary>
    public string? ClusterDns { get; init; }

    /// <summary>The cluster domain of the pods' DNS search path (kubelet's <c>--cluster-domain</c>).</summary>
    public string ClusterDomain { get; init; } = "cluster.local";
    /// <summary>CRI runtime endpoint (<c>unix:///…</c>) that runs the pods, or null for the process runner.</summary>
    public string? RuntimeEndpoint { get; init; }

    /// <summary>Directory of sandbox records.</summary>
    public string SandboxDir => Path.Combine(StateDir, "sandboxes");

    /// <summary>Directory of pod container logs.</summary>
    public string PodLogDir => Path.Combine(StateDir, "pods");
}
