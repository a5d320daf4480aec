using Contiv.Lab.Lab;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// A minimal scheduler: every pod without <c>spec.nodeName</c> is bound (Binding subresource) to the
/// Ready, schedulable node that runs the fewest non-terminated pods; ties go to the node whose name
/// sorts first. A pod's <c>spec.nodeSelector</c> is honoured against node labels.
/// </summary>
public sealed class LabScheduler(string kubeconfig)
{
    private const string Component = "scheduler";

    /// <summary>Runs until cancelled: binds pending pods every time something changes (and every 2 s).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var client = KubeClients.FromKubeconfig(kubeconfig);
        var events = new PodEvents(client, "default-scheduler", null);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ScheduleOnceAsync(client, ct, events).ConfigureAwait(false);
                var pods = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=", cancellationToken: ct).ConfigureAwait(false);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                try
                {
                    await foreach (var (_, _) in client.CoreV1.WatchListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=",
                        resourceVersion: pods.Metadata.ResourceVersion, timeoutSeconds: 60, cancellationToken: timeout.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException)
            {
                LabLog.Warn(Component, e.Message);
                await Task.Delay(1000, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Binds every currently unscheduled pod; returns how many were bound.</summary>
    public static async Task<int> ScheduleOnceAsync(IKubernetes client, CancellationToken ct, PodEvents? events = null)
    {
        var pending = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=", cancellationToken: ct).ConfigureAwait(false);
        if (pending.Items.Count == 0)
        {
            return 0;
        }

        var nodes = (await client.CoreV1.ListNodeAsync(cancellationToken: ct).ConfigureAwait(false)).Items
            .Where(n => n.Spec?.Unschedulable != true && n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            .ToList();
        if (nodes.Count == 0)
        {
            return 0;
        }

        var load = nodes.ToDictionary(n => n.Name(), _ => 0, StringComparer.Ordinal);
        foreach (var pod in (await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false)).Items)
        {
            if (pod.Spec.NodeName is { Length: > 0 } n && load.ContainsKey(n) && pod.Status?.Phase is not ("Succeeded" or "Failed"))
            {
                load[n]++;
            }
        }

        var bound = 0;
        foreach (var pod in pending.Items.Where(p => p.Metadata.DeletionTimestamp is null).OrderBy(p => p.Namespace(), StringComparer.Ordinal).ThenBy(p => p.Name(), StringComparer.Ordinal))
        {
            var candidates = nodes.Where(n => pod.Spec.NodeSelector is null || pod.Spec.NodeSelector.All(kv => n.Labels()?.TryGetValue(kv.Key, out var v) == true && v == kv.Value)).ToList();
            if (candidates.Count == 0)
            {
                LabLog.Warn(Component, $"pod {pod.Namespace()}/{pod.Name()}: no Ready node matches nodeSelector {string.Join(',', pod.Spec.NodeSelector!.Select(kv => kv.Key + "=" + kv.Value))}");
                continue;
            }

            var target = candidates.OrderBy(n => load[n.Name()]).ThenBy(n => n.Name(), StringComparer.Ordinal).First().Name();
            try
            {
                await client.CoreV1.CreateNamespacedPodBindingAsync(
                    new V1Binding { Metadata = new V1ObjectMeta { Name = pod.Name(), NamespaceProperty = pod.Namespace() }, Target = new V1ObjectReference { Kind = "Node", Name = target, ApiVersion = "v1" } },
                    pod.Name(), pod.Namespace(), cancellationToken: ct).ConfigureAwait(false);
                load[target]++;
                bound++;
                LabLog.Info(Component, $"pod {pod.Namespace()}/{pod.Name()} bound to {target}");
                events?.Normal(pod, "Scheduled", $"Successfully assigned {pod.Namespace()}/{pod.Name()} to {target}");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
            {
                // Bound or deleted meanwhile.
            }
        }

        return bound;
    }
}
