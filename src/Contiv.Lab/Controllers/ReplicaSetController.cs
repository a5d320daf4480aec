using k8s;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>
/// ReplicaSets: keeps <c>spec.replicas</c> active pods (created from the template with the ReplicaSet as controller
/// owner; surplus removed unscheduled first, then not ready, then newest) and writes the status (replicas, ready,
/// available, observedGeneration) that the Deployment controller and kubectl read.
/// </summary>
internal sealed class ReplicaSetController(IKubernetes client) : IController
{
    /// <inheritdoc />
    public string Name => "replicaset";

    /// <inheritdoc />
    public WorkQueue Queue { get; } = new();

    /// <inheritdoc />
    public async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var (ns, name) = Keys.Split(key);
        var rs = await Api.TryAsync(() => client.AppsV1.ReadNamespacedReplicaSetAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
        if (rs is null || rs.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        var pods = await OwnedPodsAsync(rs, ct).ConfigureAwait(false);
        var active = pods.Where(Workloads.IsActive).ToList();
        var want = rs.Spec.Replicas ?? 1;
        if (active.Count < want)
        {
            var owner = Workloads.ControllerRef("apps/v1", "ReplicaSet", rs.Metadata);
            await Task.WhenAll(Enumerable.Range(0, want - active.Count).Select(_ =>
                client.CoreV1.CreateNamespacedPodAsync(Workloads.PodFromTemplate(rs.Spec.Template, ns, name, owner), ns, cancellationToken: ct))).ConfigureAwait(false);
            pods = await OwnedPodsAsync(rs, ct).ConfigureAwait(false);
        }
        else if (active.Count > want)
        {
            var victims = active
                .OrderBy(p => string.IsNullOrEmpty(p.Spec.NodeName) ? 0 : 1)
                .ThenBy(p => Workloads.IsReady(p) ? 1 : 0)
                .ThenByDescending(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue)
                .Take(active.Count - want);
            await Task.WhenAll(victims.Select(p => Api.DeleteAsync(() => client.CoreV1.DeleteNamespacedPodAsync(p.Metadata.Name, ns, cancellationToken: ct)))).ConfigureAwait(false);
            pods = await OwnedPodsAsync(rs, ct).ConfigureAwait(false);
        }

        var now = DateTime.UtcNow;
        active = pods.Where(Workloads.IsActive).ToList();
        var status = new V1ReplicaSetStatus
        {
            Replicas = active.Count,
            FullyLabeledReplicas = active.Count,
            ReadyReplicas = active.Count(Workloads.IsReady),
            AvailableReplicas = active.Count(p => Workloads.IsAvailable(p, rs.Spec.MinReadySeconds ?? 0, now)),
            ObservedGeneration = rs.Metadata.Generation,
        };
        await Api.PatchStatusIfChangedAsync(rs.Status, status, json => client.AppsV1.PatchNamespacedReplicaSetStatusAsync(json, name, ns, cancellationToken: ct)).ConfigureAwait(false);
        if (rs.Spec.MinReadySeconds is > 0 && status.AvailableReplicas < status.ReadyReplicas)
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(1), ct);
        }
    }

    private async Task<List<V1Pod>> OwnedPodsAsync(V1ReplicaSet rs, CancellationToken ct)
    {
        var list = await client.CoreV1.ListNamespacedPodAsync(rs.Metadata.NamespaceProperty, labelSelector: Workloads.SelectorQuery(rs.Spec.Selector), cancellationToken: ct).ConfigureAwait(false);
        return list.Items.Where(p => Workloads.IsControlledBy(p.Metadata, rs.Metadata.Uid)).ToList();
    }
}
