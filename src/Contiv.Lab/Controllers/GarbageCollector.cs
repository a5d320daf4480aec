using k8s;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>
/// Garbage collection through ownerReferences (background propagation): a ReplicaSet or pod whose owners (of the
/// workload kinds this controller-manager knows) are all gone — no object of that name, or one with another uid —
/// is deleted, so deleting a Deployment removes its ReplicaSets and then their pods. Objects with owners of other
/// kinds are left alone. A cache miss is confirmed with a read before anything is deleted.
/// </summary>
internal sealed class GarbageCollector(IKubernetes client, Informer<V1ReplicaSet> replicaSets, Informer<V1Pod> pods) : IController
{
    /// <summary>The single key: a sweep over every dependent.</summary>
    public const string SweepKey = "sweep";

    /// <inheritdoc />
    public string Name => "garbage-collector";

    /// <inheritdoc />
    public WorkQueue Queue { get; } = new();

    /// <inheritdoc />
    public async Task ReconcileAsync(string key, CancellationToken ct)
    {
        foreach (var rs in replicaSets.Items.ToList())
        {
            if (rs.Metadata.DeletionTimestamp is null && await OrphanedAsync(rs.Metadata, ct).ConfigureAwait(false))
            {
                await Api.DeleteAsync(() => client.AppsV1.DeleteNamespacedReplicaSetAsync(rs.Metadata.Name, rs.Metadata.NamespaceProperty,
                    new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = rs.Metadata.Uid } }, cancellationToken: ct)).ConfigureAwait(false);
            }
        }

        foreach (var pod in pods.Items.ToList())
        {
            if (pod.Metadata.DeletionTimestamp is null && await OrphanedAsync(pod.Metadata, ct).ConfigureAwait(false))
            {
                await Api.DeleteAsync(() => client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                    new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } }, cancellationToken: ct)).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> OrphanedAsync(V1ObjectMeta meta, CancellationToken ct)
    {
        if (meta.OwnerReferences is not { Count: > 0 } owners)
        {
            return false;
        }

        foreach (var owner in owners)
        {
            var uid = owner.Kind switch
            {
                "Deployment" when owner.ApiVersion == "apps/v1" => (await Api.TryAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync(owner.Name, meta.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false))?.Metadata.Uid,
                "ReplicaSet" when owner.ApiVersion == "apps/v1" => replicaSets.Get(Keys.Of(meta.NamespaceProperty, owner.Name))?.Metadata.Uid == owner.Uid ? owner.Uid
                    : (await Api.TryAsync(() => client.AppsV1.ReadNamespacedReplicaSetAsync(owner.Name, meta.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false))?.Metadata.Uid,
                "DaemonSet" when owner.ApiVersion == "apps/v1" => (await Api.TryAsync(() => client.AppsV1.ReadNamespacedDaemonSetAsync(owner.Name, meta.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false))?.Metadata.Uid,
                "Job" when owner.ApiVersion == "batch/v1" => (await Api.TryAsync(() => client.BatchV1.ReadNamespacedJobAsync(owner.Name, meta.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false))?.Metadata.Uid,
                _ => owner.Uid, // a kind this collector does not know: treated as present
            };
            if (uid == owner.Uid)
            {
                return false;
            }
        }

        return true;
    }
}
