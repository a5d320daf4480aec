namespace Contiv.ApiServer.Resources;

/// <summary>
/// The workload kinds (<c>apps/v1</c> Deployment, ReplicaSet, DaemonSet, StatefulSet; <c>batch/v1</c> Job) served for the lab's
/// controller-manager and kubectl: status subresource, generation (for <c>observedGeneration</c>, which
/// <c>kubectl rollout status</c> compares) and, for the replicated kinds, the <c>scale</c> subresource.
/// </summary>
internal static class WorkloadResources
{
    /// <summary>The workload resource types.</summary>
    public static IReadOnlyList<ResourceType> Types() =>
    [
        new() { Group = "apps", Version = "v1", Kind = "Deployment", Plural = "deployments", Singular = "deployment", Namespaced = true, ShortNames = ["deploy"], Categories = ["all"], HasStatusSubresource = true, HasScaleSubresource = true, HasGeneration = true },
        new() { Group = "apps", Version = "v1", Kind = "ReplicaSet", Plural = "replicasets", Singular = "replicaset", Namespaced = true, ShortNames = ["rs"], Categories = ["all"], HasStatusSubresource = true, HasScaleSubresource = true, HasGeneration = true },
        new() { Group = "apps", Version = "v1", Kind = "DaemonSet", Plural = "daemonsets", Singular = "daemonset", Namespaced = true, ShortNames = ["ds"], Categories = ["all"], HasStatusSubresource = true, HasGeneration = true },
        new() { Group = "apps", Version = "v1", Kind = "StatefulSet", Plural = "statefulsets", Singular = "statefulset", Namespaced = true, ShortNames = ["sts"], Categories = ["all"], HasStatusSubresource = true, HasScaleSubresource = true, HasGeneration = true },
        new() { Group = "batch", Version = "v1", Kind = "Job", Plural = "jobs", Singular = "job", Namespaced = true, Categories = ["all"], HasStatusSubresource = true, HasGeneration = true },
    ];
}
