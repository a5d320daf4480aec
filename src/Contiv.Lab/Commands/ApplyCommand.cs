using Contiv.Lab.Lab;
using Contiv.Lab.Manifests;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab apply</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class ApplyCommand
{
    /// <summary><c>apply -f</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, IReadOnlyList<string> files, bool wait, TimeSpan timeout, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var objects = ManifestFiles.Load(files);
        using var client = new ManifestClient(state.ApiServerUrl);
        foreach (var outcome in await client.ApplyAsync(objects, ct).ConfigureAwait(false))
        {
            LabConsole.Say(outcome.ToString());
        }

        if (!wait)
        {
            return 0;
        }

        (string Ns, string Name) Id(System.Text.Json.Nodes.JsonNode o) => (o["metadata"]?["namespace"]?.GetValue<string>() ?? "default", o["metadata"]!["name"]!.GetValue<string>());
        var pods = objects.Where(o => o["kind"]?.GetValue<string>() == "Pod").Select(Id).ToList();
        var workloads = objects.Where(o => o["kind"]?.GetValue<string>() is "Deployment" or "ReplicaSet" or "DaemonSet")
            .Select(o => (Kind: o["kind"]!.GetValue<string>(), Id: Id(o)))
            .Select(w => (w.Kind, w.Id.Ns, w.Id.Name))
            .ToList();
        var deadline = DateTime.UtcNow + timeout;
        return await WaitPodsReadyAsync(lab, pods, timeout, ct).ConfigureAwait(false)
            && await WaitWorkloadsRolledOutAsync(lab, workloads, deadline - DateTime.UtcNow, ct).ConfigureAwait(false) ? 0 : 1;
    }

    /// <summary>
    /// Waits until every Deployment, ReplicaSet and DaemonSet has rolled out, as <c>kubectl rollout status</c>
    /// judges it: its controller has seen the current generation, every replica (every scheduled node) runs
    /// the current template, no old replica is left, and all of them are available (Ready).
    /// </summary>
    public static async Task<bool> WaitWorkloadsRolledOutAsync(LabInstance lab, IReadOnlyList<(string Kind, string Ns, string Name)> workloads, TimeSpan timeout, CancellationToken ct)
    {
        if (workloads.Count == 0)
        {
            return true;
        }

        using var k = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        return await PollAsync(
            async () =>
            {
                var waiting = new List<string>();
                foreach (var (kind, ns, name) in workloads)
                {
                    if (await RolloutProgressAsync(k, kind, ns, name, ct).ConfigureAwait(false) is { } progress)
                    {
                        waiting.Add($"{kind.ToLowerInvariant()} {ns}/{name} ({progress})");
                    }
                }

                return waiting;
            },
            timeout, $"{workloads.Count} workload(s) rolled out", "not rolled out", ct).ConfigureAwait(false);
    }

    // Asks what is still pending every 250 ms until nothing is or the timeout passes; says the outcome.
    private static async Task<bool> PollAsync(Func<Task<List<string>>> pending, TimeSpan timeout, string done, string notDone, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<string> waiting;
        do
        {
            waiting = await pending().ConfigureAwait(false);
            if (waiting.Count == 0)
            {
                LabConsole.Say(done);
                return true;
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }
        while (DateTime.UtcNow < deadline);

        await Console.Error.WriteLineAsync($"{notDone} after {timeout.TotalSeconds:0}s: {string.Join("; ", waiting)}").ConfigureAwait(false);
        return false;
    }

    // Null when the workload has rolled out, else what it is waiting for.
    private static async Task<string?> RolloutProgressAsync(IKubernetes k, string kind, string ns, string name, CancellationToken ct)
    {
        try
        {
            switch (kind)
            {
                case "Deployment":
                {
                    var d = await k.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: ct).ConfigureAwait(false);
                    var want = d.Spec.Replicas ?? 1;
                    var s = d.Status;
                    return (s?.ObservedGeneration ?? 0) < (d.Metadata.Generation ?? 0) ? "not yet observed by its controller"
                        : (s?.UpdatedReplicas ?? 0) < want ? $"{s?.UpdatedReplicas ?? 0} of {want} replicas updated"
                        : (s?.Replicas ?? 0) > (s?.UpdatedReplicas ?? 0) ? $"{s!.Replicas - s.UpdatedReplicas} old replicas pending termination"
                        : (s?.AvailableReplicas ?? 0) < want ? $"{s?.AvailableReplicas ?? 0} of {want} updated replicas available"
                        : null;
                }

                case "ReplicaSet":
                {
                    var rs = await k.AppsV1.ReadNamespacedReplicaSetAsync(name, ns, cancellationToken: ct).ConfigureAwait(false);
                    var want = rs.Spec.Replicas ?? 1;
                    var s = rs.Status;
                    return (s?.ObservedGeneration ?? 0) < (rs.Metadata.Generation ?? 0) ? "not yet observed by its controller"
                        : (s?.Replicas ?? 0) != want ? $"{s?.Replicas ?? 0} replicas, {want} wanted"
                        : (s?.AvailableReplicas ?? 0) < want ? $"{s?.AvailableReplicas ?? 0} of {want} replicas available"
                        : null;
                }

                default:
                {
                    var ds = await k.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: ct).ConfigureAwait(false);
                    var s = ds.Status;
                    return s is null || s.ObservedGeneration < (ds.Metadata.Generation ?? 0) ? "not yet observed by its controller"
                        : (s.UpdatedNumberScheduled ?? 0) < s.DesiredNumberScheduled ? $"{s.UpdatedNumberScheduled ?? 0} of {s.DesiredNumberScheduled} pods updated"
                        : (s.NumberAvailable ?? 0) < s.DesiredNumberScheduled ? $"{s.NumberAvailable ?? 0} of {s.DesiredNumberScheduled} updated pods available"
                        : null;
                }
            }
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return "not found";
        }
    }

    /// <summary>Waits until the pods are Ready; prints the ones that are not on timeout.</summary>
    public static async Task<bool> WaitPodsReadyAsync(LabInstance lab, IReadOnlyList<(string Ns, string Name)> pods, TimeSpan timeout, CancellationToken ct)
    {
        if (pods.Count == 0)
        {
            return true;
        }

        using var k = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        return await PollAsync(
            async () =>
            {
                var waiting = new List<string>();
                var all = await k.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false);
                foreach (var (ns, name) in pods)
                {
                    var pod = all.Items.FirstOrDefault(p => p.Namespace() == ns && p.Name() == name);
                    if (pod?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") != true)
                    {
                        var why = pod?.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Message;
                        waiting.Add($"{ns}/{name} ({pod?.Status?.Phase ?? "missing"}{(string.IsNullOrEmpty(why) ? string.Empty : ": " + why)})");
                    }
                }

                return waiting;
            },
            timeout, $"{pods.Count} pod(s) ready", "not ready", ct).ConfigureAwait(false);
    }
}
