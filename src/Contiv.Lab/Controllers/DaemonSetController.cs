using k8s;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>
/// DaemonSets: one pod per Ready node whose labels match the template's nodeSelector, bound to the node directly
/// (<c>spec.nodeName</c>); pods on nodes that are gone or no longer match are removed, and so are duplicates. A template
/// change replaces the pods (<c>controller-revision-hash</c> label) at most <c>maxUnavailable</c> nodes at a time
/// (RollingUpdate; OnDelete leaves them). Status as kubectl reads it.
/// </summary>
internal sealed class DaemonSetController(IKubernetes client, Informer<V1Node> nodes) : IController
{
    /// <inheritdoc />
    public string Name => "daemonset";

    /// <inheritdoc />
    public WorkQueue Queue { get; } = new();

    /// <inheritdoc />
    public async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var (ns, name) = Keys.Split(key);
        var ds = await Api.TryAsync(() => client.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
        if (ds is null || ds.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        var hash = Workloads.TemplateHash(ds.Spec.Template);
        var nodeSelector = ds.Spec.Template.Spec.NodeSelector;
        var allNodes = nodes.Items.ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        var eligible = allNodes.Values.Where(n => Workloads.NodeReady(n) && Workloads.NodeMatches(n, nodeSelector)).Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var pods = await OwnedPodsAsync(ds, ct).ConfigureAwait(false);
        var active = pods.Where(Workloads.IsActive).ToList();
        var owner = Workloads.ControllerRef("apps/v1", "DaemonSet", ds.Metadata);
        var deletes = new List<V1Pod>();
        var creates = new List<string>();

        foreach (var node in eligible)
        {
            var onNode = active.Where(p => p.Spec.NodeName == node).OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue).ToList();
            if (onNode.Count == 0)
            {
                // Wait for a pod of this DaemonSet still terminating on the node (hostPort, same name on the node).
                if (!pods.Any(p => p.Spec.NodeName == node && p.Metadata.DeletionTimestamp is not null))
                {
                    creates.Add(node);
                }
            }

            deletes.AddRange(onNode.Skip(1));
        }

        // Pods on nodes that are gone or no longer selected (a NotReady node keeps its pod, as in Kubernetes).
        deletes.AddRange(active.Where(p => !allNodes.TryGetValue(p.Spec.NodeName ?? string.Empty, out var n) || !Workloads.NodeMatches(n, nodeSelector)));

        if (ds.Spec.UpdateStrategy?.Type != "OnDelete")
        {
            var maxUnavailable = Math.Max(1, Workloads.Resolve(ds.Spec.UpdateStrategy?.RollingUpdate?.MaxUnavailable, eligible.Count, roundUp: true, fallback: 1));
            var current = active.Where(p => eligible.Contains(p.Spec.NodeName ?? string.Empty) && !deletes.Contains(p)).ToList();
            var unavailable = eligible.Count - current.Count(Workloads.IsReady);
            foreach (var old in current.Where(p => Workloads.Get(p.Metadata.Labels, Workloads.RevisionHashLabel) != hash).OrderBy(p => Workloads.IsReady(p) ? 1 : 0))
            {
                if (!Workloads.IsReady(old))
                {
                    deletes.Add(old);
                }
                else if (unavailable < maxUnavailable)
                {
                    deletes.Add(old);
                    unavailable++;
                }
            }
        }

        foreach (var node in creates)
        {
            var pod = Workloads.PodFromTemplate(ds.Spec.Template, ns, name, owner, new Dictionary<string, string> { [Workloads.RevisionHashLabel] = hash });
            pod.Spec.NodeName = node;
            await client.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: ct).ConfigureAwait(false);
        }

        foreach (var pod in deletes.Distinct())
        {
            await Api.DeleteAsync(() => client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, ns, cancellationToken: ct)).ConfigureAwait(false);
        }

        if (creates.Count > 0 || deletes.Count > 0)
        {
            pods = await OwnedPodsAsync(ds, ct).ConfigureAwait(false);
            active = pods.Where(Workloads.IsActive).ToList();
        }

        var scheduled = active.Where(p => eligible.Contains(p.Spec.NodeName ?? string.Empty)).ToList();
        var now = DateTime.UtcNow;
        var availableCount = scheduled.Count(p => Workloads.IsAvailable(p, ds.Spec.MinReadySeconds ?? 0, now));
        var status = new V1DaemonSetStatus
        {
            DesiredNumberScheduled = eligible.Count,
            CurrentNumberScheduled = scheduled.Select(p => p.Spec.NodeName).Distinct().Count(),
            NumberMisscheduled = active.Count - scheduled.Count,
            NumberReady = scheduled.Count(Workloads.IsReady),
            UpdatedNumberScheduled = scheduled.Count(p => Workloads.Get(p.Metadata.Labels, Workloads.RevisionHashLabel) == hash),
            NumberAvailable = availableCount,
            NumberUnavailable = Math.Max(0, eligible.Count - availableCount),
            ObservedGeneration = ds.Metadata.Generation,
        };
        await Api.PatchStatusIfChangedAsync(ds.Status, status, json => client.AppsV1.PatchNamespacedDaemonSetStatusAsync(json, name, ns, cancellationToken: ct)).ConfigureAwait(false);
    }

    private async Task<List<V1Pod>> OwnedPodsAsync(V1DaemonSet ds, CancellationToken ct)
    {
        var list = await client.CoreV1.ListNamespacedPodAsync(ds.Metadata.NamespaceProperty, labelSelector: Workloads.SelectorQuery(ds.Spec.Selector), cancellationToken: ct).ConfigureAwait(false);
        return list.Items.Where(p => Workloads.IsControlledBy(p.Metadata, ds.Metadata.Uid)).ToList();
    }
}
