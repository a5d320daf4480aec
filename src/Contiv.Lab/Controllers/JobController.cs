using k8s;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>
/// Jobs: runs up to <c>parallelism</c> pods until <c>completions</c> pods succeeded (condition Complete, with
/// SuccessCriteriaMet) or more than <c>backoffLimit</c> failed (condition Failed, reason BackoffLimitExceeded, active
/// pods removed); failed pods are replaced after a back-off of 1 s doubling per failure (capped at 30 s).
/// <c>suspend</c> removes the active pods. Finished pods are kept, as Kubernetes keeps them.
/// </summary>
internal sealed class JobController(IKubernetes client) : IController
{
    /// <inheritdoc />
    public string Name => "job";

    /// <inheritdoc />
    public WorkQueue Queue { get; } = new();

    /// <inheritdoc />
    public async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var (ns, name) = Keys.Split(key);
        var job = await Api.TryAsync(() => client.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
        if (job is null || job.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        var list = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: Workloads.SelectorQuery(job.Spec.Selector), cancellationToken: ct).ConfigureAwait(false);
        var pods = list.Items.Where(p => Workloads.IsControlledBy(p.Metadata, job.Metadata.Uid)).ToList();
        var active = pods.Where(Workloads.IsActive).ToList();
        var succeeded = pods.Count(p => p.Status?.Phase == "Succeeded");
        var failed = pods.Count(p => p.Status?.Phase == "Failed");
        var now = DateTime.UtcNow;
        var conditions = job.Status?.Conditions?.ToList() ?? [];
        var finished = conditions.Any(c => c.Type is "Complete" or "Failed" && c.Status == "True");
        var completions = job.Spec.Completions;
        var backoffLimit = job.Spec.BackoffLimit ?? 6;
        if (!finished && failed > backoffLimit)
        {
            conditions.Add(new V1JobCondition { Type = "FailureTarget", Status = "True", Reason = "BackoffLimitExceeded", Message = "Job has reached the specified backoff limit", LastProbeTime = now, LastTransitionTime = now });
            conditions.Add(new V1JobCondition { Type = "Failed", Status = "True", Reason = "BackoffLimitExceeded", Message = "Job has reached the specified backoff limit", LastProbeTime = now, LastTransitionTime = now });
            finished = true;
        }
        else if (!finished && (completions is int c ? succeeded >= c : succeeded > 0 && active.Count == 0))
        {
            conditions.Add(new V1JobCondition { Type = "SuccessCriteriaMet", Status = "True", Reason = "CompletionsReached", Message = "Reached expected number of succeeded pods", LastProbeTime = now, LastTransitionTime = now });
            conditions.Add(new V1JobCondition { Type = "Complete", Status = "True", Reason = "CompletionsReached", Message = "Reached expected number of succeeded pods", LastProbeTime = now, LastTransitionTime = now });
            finished = true;
        }

        if (finished || job.Spec.Suspend == true)
        {
            foreach (var pod in active)
            {
                await Api.DeleteAsync(() => client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, ns, cancellationToken: ct)).ConfigureAwait(false);
            }

            active.Clear();
        }
        else
        {
            var want = job.Spec.Parallelism ?? 1;
            if (completions is int total)
            {
                want = Math.Min(want, total - succeeded);
            }

            var missing = want - active.Count;
            var backoff = failed == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, failed - 1)));
            var lastFailure = pods.Where(p => p.Status?.Phase == "Failed").Select(FinishedAt).DefaultIfEmpty(DateTime.MinValue).Max();
            if (missing > 0 && lastFailure + backoff > now)
            {
                Queue.AddAfter(key, lastFailure + backoff - now, ct);
            }
            else if (missing > 0)
            {
                var owner = Workloads.ControllerRef("batch/v1", "Job", job.Metadata);
                for (var i = 0; i < missing; i++)
                {
                    active.Add(await client.CoreV1.CreateNamespacedPodAsync(Workloads.PodFromTemplate(job.Spec.Template, ns, name, owner), ns, cancellationToken: ct).ConfigureAwait(false));
                }
            }
        }

        var status = new V1JobStatus
        {
            Active = active.Count == 0 ? null : active.Count,
            Succeeded = succeeded == 0 ? null : succeeded,
            Failed = failed == 0 ? null : failed,
            Ready = active.Count(Workloads.IsReady),
            Terminating = pods.Count(p => p.Metadata.DeletionTimestamp is not null),
            StartTime = job.Status?.StartTime ?? now,
            CompletionTime = job.Status?.CompletionTime ?? (conditions.Any(x => x.Type == "Complete") ? now : null),
            Conditions = conditions.Count == 0 ? null : conditions,
            UncountedTerminatedPods = new V1UncountedTerminatedPods(),
        };
        await Api.PatchStatusIfChangedAsync(job.Status, status, json => client.BatchV1.PatchNamespacedJobStatusAsync(json, name, ns, cancellationToken: ct)).ConfigureAwait(false);
    }

    private static DateTime FinishedAt(V1Pod pod)
        => pod.Status?.ContainerStatuses?.Select(s => s.State?.Terminated?.FinishedAt).Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty(pod.Metadata.CreationTimestamp ?? DateTime.MinValue).Max()
            ?? DateTime.MinValue;
}
