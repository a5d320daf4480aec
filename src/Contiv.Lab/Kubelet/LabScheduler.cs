using System.Threading.Channels;
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

    /// <summary>Runs until cancelled: binds pending pods every time an unbound pod or a node changes.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var client = KubeClients.FromKubeconfig(kubeconfig);
        await RunAsync(client, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs until cancelled against <paramref name="client"/>. Event-driven: a watch on unbound pods and one
    /// on nodes wake a scheduling pass (changes arriving during a pass collapse into one more pass), so an
    /// idle cluster costs nothing; a pod left pending for want of a Ready node is bound when a node changes.
    /// </summary>
    public static async Task RunAsync(IKubernetes client, CancellationToken ct)
    {
        var events = new PodEvents(client, "default-scheduler", null);
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void Wake() => wake.Writer.TryWrite(true);
        var pods = WatchAsync("unbound pods", async token =>
        {
            var list = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: UnboundPods, cancellationToken: token).ConfigureAwait(false);
            Wake();
            await foreach (var (type, _) in client.CoreV1.WatchListPodForAllNamespacesAsync(fieldSelector: UnboundPods,
                resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: token).ConfigureAwait(false))
            {
                Wake();
                if (type == WatchEventType.Error)
                {
                    return;
                }
            }
        }, ct);
        var nodes = WatchAsync("nodes", async token =>
        {
            var list = await client.CoreV1.ListNodeAsync(cancellationToken: token).ConfigureAwait(false);
            Wake();
            await foreach (var (type, _) in client.CoreV1.WatchListNodeAsync(resourceVersion: list.Metadata.ResourceVersion,
                timeoutSeconds: WatchTimeoutSeconds, cancellationToken: token).ConfigureAwait(false))
            {
                Wake();
                if (type == WatchEventType.Error)
                {
                    return;
                }
            }
        }, ct);
        try
        {
            while (await wake.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                wake.Reader.TryRead(out _);
                try
                {
                    await ScheduleOnceAsync(client, ct, events).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException)
                {
                    LabLog.Warn(Component, e.Message);
                    await Task.Delay(1000, ct).ConfigureAwait(false);
                    Wake();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(pods, nodes).ConfigureAwait(false);
        }
    }

    private const string UnboundPods = "spec.nodeName=";

    // Watches end after this long on the server side and are resumed by a fresh list (which also wakes a pass).
    private const int WatchTimeoutSeconds = 300;

    /// <summary>Runs one list + watch after another until cancelled; errors are logged and retried after 1 s.</summary>
    private static async Task WatchAsync(string what, Func<CancellationToken, Task> listAndWatch, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await listAndWatch(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException or OperationCanceledException)
            {
                // (A client-side timeout surfaces as a cancellation that is not ours.)
                LabLog.Warn(Component, $"watch of {what} ended (re-listing): {e.Message}");
                try
                {
                    await Task.Delay(1000, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
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
