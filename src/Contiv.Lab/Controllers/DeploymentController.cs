using System.Globalization;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>
/// Deployments: one ReplicaSet per pod template (named <c>&lt;deployment&gt;-&lt;template hash&gt;</c>, labelled
/// <c>pod-template-hash</c>, revision annotation). A template change rolls out: RollingUpdate scales the new ReplicaSet
/// up within <c>replicas + maxSurge</c> and the old ones down while at least <c>replicas - maxUnavailable</c> pods are
/// available (unhealthy old pods first), as kube-controller-manager does; Recreate empties the old ReplicaSets first.
/// Scaling changes the current ReplicaSet; old ReplicaSets beyond <c>revisionHistoryLimit</c> are deleted. The status
/// (observedGeneration, replicas, updated/ready/available, Available and Progressing conditions) is what
/// <c>kubectl rollout status</c> waits on.
/// </summary>
internal sealed class DeploymentController(IKubernetes client) : IController
{
    /// <inheritdoc />
    public string Name => "deployment";

    /// <inheritdoc />
    public WorkQueue Queue { get; } = new();

    /// <inheritdoc />
    public async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var (ns, name) = Keys.Split(key);
        var d = await Api.TryAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
        if (d is null || d.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        var replicas = d.Spec.Replicas ?? 1;
        var all = await OwnedReplicaSetsAsync(d, ct).ConfigureAwait(false);
        var hash = Workloads.TemplateHash(d.Spec.Template);
        var current = all.FirstOrDefault(rs => Workloads.Get(rs.Metadata.Labels, Workloads.TemplateHashLabel) == hash);
        var olds = all.Where(rs => rs != current).OrderBy(rs => rs.Metadata.CreationTimestamp ?? DateTime.MinValue).ToList();
        if (d.Spec.Paused != true)
        {
            var recreate = d.Spec.Strategy?.Type == "Recreate";
            var maxSurge = recreate ? 0 : Workloads.Resolve(d.Spec.Strategy?.RollingUpdate?.MaxSurge, replicas, roundUp: true, fallback: 0);
            var maxUnavailable = recreate ? replicas : Workloads.Resolve(d.Spec.Strategy?.RollingUpdate?.MaxUnavailable, replicas, roundUp: false, fallback: 0);
            if (maxSurge == 0 && maxUnavailable == 0)
            {
                maxUnavailable = 1;
            }

            if (current is null)
            {
                var oldTotal = olds.Sum(rs => rs.Spec.Replicas ?? 0);
                var start = recreate ? (olds.Sum(rs => rs.Status?.Replicas ?? 0) == 0 && oldTotal == 0 ? replicas : 0) : Math.Clamp(replicas + maxSurge - oldTotal, 0, replicas);
                if (olds.Count == 0)
                {
                    start = replicas;
                }

                current = await CreateReplicaSetAsync(d, hash, start, NextRevision(all), ct).ConfigureAwait(false);
                if (current is null)
                {
                    return;
                }
            }

            var changed = recreate
                ? await RecreateAsync(current, olds, replicas, ct).ConfigureAwait(false)
                : await RollAsync(current, olds, replicas, maxSurge, maxUnavailable, ct).ConfigureAwait(false);
            if (changed)
            {
                all = await OwnedReplicaSetsAsync(d, ct).ConfigureAwait(false);
                current = all.First(rs => rs.Metadata.Uid == current.Metadata.Uid);
                olds = all.Where(rs => rs.Metadata.Uid != current.Metadata.Uid).ToList();
            }

            await CleanUpHistoryAsync(d, olds, ct).ConfigureAwait(false);
        }

        await SyncStatusAsync(d, current, olds, replicas, ct).ConfigureAwait(false);
        var revision = Workloads.Get(current?.Metadata.Annotations, Workloads.RevisionAnnotation);
        if (revision is not null && Workloads.Get(d.Metadata.Annotations, Workloads.RevisionAnnotation) != revision)
        {
            var patch = $"{{\"metadata\":{{\"annotations\":{{\"{Workloads.RevisionAnnotation}\":\"{revision}\"}}}}}}";
            await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    private async Task<List<V1ReplicaSet>> OwnedReplicaSetsAsync(V1Deployment d, CancellationToken ct)
    {
        var list = await client.AppsV1.ListNamespacedReplicaSetAsync(d.Metadata.NamespaceProperty, labelSelector: Workloads.SelectorQuery(d.Spec.Selector), cancellationToken: ct).ConfigureAwait(false);
        return list.Items.Where(rs => Workloads.IsControlledBy(rs.Metadata, d.Metadata.Uid) && rs.Metadata.DeletionTimestamp is null).ToList();
    }

    private static int NextRevision(List<V1ReplicaSet> all)
        => all.Select(rs => int.TryParse(Workloads.Get(rs.Metadata.Annotations, Workloads.RevisionAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0).DefaultIfEmpty(0).Max() + 1;

    private async Task<V1ReplicaSet?> CreateReplicaSetAsync(V1Deployment d, string hash, int replicas, int revision, CancellationToken ct)
    {
        var template = Workloads.Clone(d.Spec.Template);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels = new Dictionary<string, string>(template.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [Workloads.TemplateHashLabel] = hash };
        var selector = Workloads.Clone(d.Spec.Selector);
        selector.MatchLabels = new Dictionary<string, string>(selector.MatchLabels ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [Workloads.TemplateHashLabel] = hash };
        var rs = new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = new V1ObjectMeta
            {
                Name = $"{d.Metadata.Name}-{hash}",
                NamespaceProperty = d.Metadata.NamespaceProperty,
                Labels = template.Metadata.Labels,
                Annotations = new Dictionary<string, string> { [Workloads.RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture) },
                OwnerReferences = [Workloads.ControllerRef("apps/v1", "Deployment", d.Metadata)],
            },
            Spec = new V1ReplicaSetSpec { Replicas = replicas, Selector = selector, Template = template, MinReadySeconds = d.Spec.MinReadySeconds },
        };
        try
        {
            return await client.AppsV1.CreateNamespacedReplicaSetAsync(rs, d.Metadata.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Made by an earlier pass whose list missed it, or still being deleted: the next pass sees it.
            Queue.AddAfter(Keys.Of(d.Metadata.NamespaceProperty, d.Metadata.Name), TimeSpan.FromMilliseconds(500), ct);
            return null;
        }
    }

    private async Task<bool> ScaleAsync(V1ReplicaSet rs, int replicas, CancellationToken ct)
    {
        if ((rs.Spec.Replicas ?? 1) == replicas)
        {
            return false;
        }

        var patch = $"{{\"spec\":{{\"replicas\":{replicas.ToString(CultureInfo.InvariantCulture)}}}}}";
        await client.AppsV1.PatchNamespacedReplicaSetAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
        rs.Spec.Replicas = replicas;
        return true;
    }

    private async Task<bool> RecreateAsync(V1ReplicaSet current, List<V1ReplicaSet> olds, int replicas, CancellationToken ct)
    {
        var changed = false;
        foreach (var old in olds)
        {
            changed |= await ScaleAsync(old, 0, ct).ConfigureAwait(false);
        }

        if (olds.Any(rs => (rs.Status?.Replicas ?? 0) > 0) || changed)
        {
            return changed;
        }

        return await ScaleAsync(current, replicas, ct).ConfigureAwait(false);
    }

    private async Task<bool> RollAsync(V1ReplicaSet current, List<V1ReplicaSet> olds, int replicas, int maxSurge, int maxUnavailable, CancellationToken ct)
    {
        var changed = false;
        if (olds.All(rs => (rs.Spec.Replicas ?? 0) == 0))
        {
            return await ScaleAsync(current, replicas, ct).ConfigureAwait(false);
        }

        // Scale up the new ReplicaSet within replicas + maxSurge pods in all.
        var total = (current.Spec.Replicas ?? 0) + olds.Sum(rs => rs.Spec.Replicas ?? 0);
        var newReplicas = current.Spec.Replicas ?? 0;
        if (newReplicas > replicas)
        {
            changed |= await ScaleAsync(current, replicas, ct).ConfigureAwait(false);
        }
        else if (newReplicas < replicas)
        {
            var up = Math.Min(replicas + maxSurge - total, replicas - newReplicas);
            if (up > 0)
            {
                changed |= await ScaleAsync(current, newReplicas + up, ct).ConfigureAwait(false);
                total += up;
            }
        }

        // Scale down old ReplicaSets while replicas - maxUnavailable pods stay available.
        var minAvailable = replicas - maxUnavailable;
        var newUnavailable = (current.Spec.Replicas ?? 0) - (current.Status?.AvailableReplicas ?? 0);
        var budget = total - minAvailable - Math.Max(0, newUnavailable);
        if (budget <= 0)
        {
            return changed;
        }

        // Unhealthy old pods first: removing them costs no availability.
        foreach (var old in olds)
        {
            var spec = old.Spec.Replicas ?? 0;
            var unhealthy = spec - (old.Status?.AvailableReplicas ?? 0);
            if (spec == 0 || unhealthy <= 0 || budget <= 0)
            {
                continue;
            }

            var down = Math.Min(unhealthy, budget);
            changed |= await ScaleAsync(old, spec - down, ct).ConfigureAwait(false);
            budget -= down;
        }

        var available = (current.Status?.AvailableReplicas ?? 0) + olds.Sum(rs => Math.Min(rs.Status?.AvailableReplicas ?? 0, rs.Spec.Replicas ?? 0));
        var canDown = Math.Min(budget, available - minAvailable);
        foreach (var old in olds)
        {
            var spec = old.Spec.Replicas ?? 0;
            if (spec == 0 || canDown <= 0)
            {
                continue;
            }

            var down = Math.Min(spec, canDown);
            changed |= await ScaleAsync(old, spec - down, ct).ConfigureAwait(false);
            canDown -= down;
        }

        return changed;
    }

    private async Task CleanUpHistoryAsync(V1Deployment d, List<V1ReplicaSet> olds, CancellationToken ct)
    {
        var limit = d.Spec.RevisionHistoryLimit ?? 10;
        var empty = olds.Where(rs => (rs.Spec.Replicas ?? 0) == 0 && (rs.Status?.Replicas ?? 0) == 0)
            .OrderBy(rs => int.TryParse(Workloads.Get(rs.Metadata.Annotations, Workloads.RevisionAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0)
            .ToList();
        foreach (var rs in empty.Take(Math.Max(0, empty.Count - limit)))
        {
            await Api.DeleteAsync(() => client.AppsV1.DeleteNamespacedReplicaSetAsync(rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false);
        }
    }

    private async Task SyncStatusAsync(V1Deployment d, V1ReplicaSet? current, List<V1ReplicaSet> olds, int replicas, CancellationToken ct)
    {
        var all = olds.Concat(current is null ? [] : [current]).ToList();
        var total = all.Sum(rs => rs.Status?.Replicas ?? 0);
        var updated = current?.Status?.Replicas ?? 0;
        var ready = all.Sum(rs => rs.Status?.ReadyReplicas ?? 0);
        var available = all.Sum(rs => rs.Status?.AvailableReplicas ?? 0);
        var maxUnavailable = d.Spec.Strategy?.Type == "Recreate" ? 0 : Workloads.Resolve(d.Spec.Strategy?.RollingUpdate?.MaxUnavailable, replicas, roundUp: false, fallback: 0);
        var complete = updated == replicas && total == replicas && available == replicas && (current?.Status?.ObservedGeneration ?? 0) >= (current?.Metadata.Generation ?? 0);
        var now = DateTime.UtcNow;
        var previous = d.Status?.Conditions;
        V1DeploymentCondition Keep(V1DeploymentCondition old, V1DeploymentCondition next)
        {
            next.LastTransitionTime = old.LastTransitionTime;
            next.LastUpdateTime = old.Reason == next.Reason ? old.LastUpdateTime : now;
            return next;
        }

        var availableOk = available >= replicas - maxUnavailable;
        var availableCondition = Workloads.Condition(previous, c => c.Type, c => c.Status, new V1DeploymentCondition
        {
            Type = "Available",
            Status = availableOk ? "True" : "False",
            Reason = availableOk ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            Message = availableOk ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
            LastTransitionTime = now,
            LastUpdateTime = now,
        }, Keep);
        var progressing = Workloads.Condition(previous, c => c.Type, c => c.Status, new V1DeploymentCondition
        {
            Type = "Progressing",
            Status = "True",
            Reason = complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
            Message = complete ? $"ReplicaSet \"{current?.Metadata.Name}\" has successfully progressed." : $"ReplicaSet \"{current?.Metadata.Name}\" is progressing.",
            LastTransitionTime = now,
            LastUpdateTime = now,
        }, Keep);
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = d.Metadata.Generation,
            Replicas = total,
            UpdatedReplicas = updated,
            ReadyReplicas = ready,
            AvailableReplicas = available,
            UnavailableReplicas = Math.Max(0, replicas - available),
            Conditions = [availableCondition, progressing],
        };
        await Api.PatchStatusIfChangedAsync(d.Status, status, json => client.AppsV1.PatchNamespacedDeploymentStatusAsync(json, d.Metadata.Name, d.Metadata.NamespaceProperty, cancellationToken: ct)).ConfigureAwait(false);
    }
}
