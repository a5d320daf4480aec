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

        var pods = objects.Where(o => o["kind"]?.GetValue<string>() == "Pod")
            .Select(o => (Ns: o["metadata"]?["namespace"]?.GetValue<string>() ?? "default", Name: o["metadata"]!["name"]!.GetValue<string>()))
            .ToList();
        return await WaitPodsReadyAsync(lab, pods, timeout, ct).ConfigureAwait(false) ? 0 : 1;
    }

    /// <summary>Waits until the pods are Ready; prints the ones that are not on timeout.</summary>
    public static async Task<bool> WaitPodsReadyAsync(LabInstance lab, IReadOnlyList<(string Ns, string Name)> pods, TimeSpan timeout, CancellationToken ct)
    {
        if (pods.Count == 0)
        {
            return true;
        }

        using var k = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        var deadline = DateTime.UtcNow + timeout;
        List<string> waiting;
        do
        {
            waiting = [];
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

            if (waiting.Count == 0)
            {
                LabConsole.Say($"{pods.Count} pod(s) ready");
                return true;
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }
        while (DateTime.UtcNow < deadline);

        await Console.Error.WriteLineAsync($"not ready after {timeout.TotalSeconds:0}s: {string.Join("; ", waiting)}").ConfigureAwait(false);
        return false;
    }
}
