using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// Workload checks shared by the process-runner labs (<see cref="WorkloadTests"/>, <see cref="WorkloadDnsTests"/>) and
/// the containerd lab (<see cref="ContainerdTests"/>): the same story, only the images and the client's tools differ.
/// </summary>
internal static class WorkloadChecks
{
    /// <summary>Polls <paramref name="condition"/> every 500 ms until it holds (true) or <paramref name="timeout"/> passed (false).</summary>
    public static bool Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }

            Thread.Sleep(500);
        }

        return true;
    }

    /// <summary>kubectl with the lab's kubeconfig and a long timeout (rollout status, wait).</summary>
    public static CommandResult KubectlLong(Lab lab, params string[] args)
        => Shell.Run("kubectl", args, env: new Dictionary<string, string?> { ["KUBECONFIG"] = lab.StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(150));

    /// <summary>
    /// A rolling update of <paramref name="deployment"/> (its first container's env <c>COLOR</c> set to a new value) while
    /// the pod <paramref name="client"/> sends a request every 50 ms in a shell loop: <paramref name="request"/> is one
    /// request printing one line, <paramref name="success"/> that line when the request succeeded. Every request of the
    /// loop must succeed (a refused connection fails it), and afterwards all <paramref name="replicas"/> pods run the new template.
    /// The loop stops when the file <c>/tmp/…</c> exists in the client's own file system (created through kubectl exec, so
    /// it works for host-process pods and containers alike).
    /// </summary>
    public static void RollingUpdateKeepsAnswering(Lab lab, string client, string deployment, string label, int replicas, string request, string success, string color)
    {
        string Kubectl(params string[] args) => lab.Kubectl(args).EnsureSuccess("kubectl " + string.Join(' ', args)).StdOut.Trim();
        var stop = $"/tmp/rollout-stop-{Guid.NewGuid():N}";
        var loop = Task.Run(() => Shell.Run("kubectl", ["exec", client, "--", "sh", "-c", $"while [ ! -e {stop} ]; do {request}; sleep 0.05; done"],
            env: new Dictionary<string, string?> { ["KUBECONFIG"] = lab.StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(150)));
        try
        {
            Thread.Sleep(1000);
            Kubectl("set", "env", $"deployment/{deployment}", $"COLOR={color}");
            var rollout = Shell.Run("kubectl", ["rollout", "status", $"deployment/{deployment}", "--timeout=100s"],
                env: new Dictionary<string, string?> { ["KUBECONFIG"] = lab.StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(110));
            Assert.True(rollout.ExitCode == 0, rollout.StdOut + rollout.StdErr + lab.Diagnostics());
            Thread.Sleep(2000);
        }
        finally
        {
            lab.Kubectl("exec", client, "--", "touch", stop);
        }

        var result = loop.Result;
        lab.Kubectl("exec", client, "--", "rm", "-f", stop);
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 20, $"only {lines.Length} requests: {result.StdOut}{result.StdErr}");
        var failed = lines.Where(l => l.Trim() != success).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {lines.Length} requests failed during the rollout: {string.Join(", ", failed.Take(20))}");

        // Old pods keep phase Running while their preStop hook and grace period run: wait until they are gone.
        var expected = string.Join(' ', Enumerable.Repeat(color, replicas));
        var colors = string.Empty;
        for (var deadline = DateTime.UtcNow.AddSeconds(45); DateTime.UtcNow < deadline; Thread.Sleep(1000))
        {
            colors = Kubectl("get", "pods", "-l", label, "--field-selector=status.phase=Running", "-o", "jsonpath={range .items[*]}{.spec.containers[0].env[0].value} {end}").Trim();
            if (colors == expected)
            {
                break;
            }
        }

        Assert.Equal(expected, colors);
    }

    /// <summary>
    /// The DaemonSet <paramref name="name"/> of <paramref name="manifest"/> (pods labelled <paramref name="label"/>) gets one Running pod on each of
    /// node1 and node2, then one on node3 added with <c>contiv-lab node add</c>; <paramref name="onNode3"/> checks that
    /// pod further. node3 and the DaemonSet are removed at the end.
    /// </summary>
    public static void DaemonSetCoversAnAddedNode(Lab lab, string name, string manifest, string label, Action<string>? onNode3 = null)
    {
        string Kubectl(params string[] args) => lab.Kubectl(args).EnsureSuccess("kubectl " + string.Join(' ', args)).StdOut.Trim();
        var file = WorkloadLabFixture.WriteTemp(manifest);
        Kubectl("apply", "-f", file);
        string PodsByNode() => Kubectl("get", "pods", "-l", label, "--field-selector=status.phase=Running", "-o", "jsonpath={range .items[*]}{.spec.nodeName}={.metadata.name} {end}");
        string Nodes() => string.Join(',', PodsByNode().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0]).Order(StringComparer.Ordinal));
        try
        {
            Assert.True(Eventually(() => Nodes() == "node1,node2", TimeSpan.FromSeconds(60)), PodsByNode());
            lab.Run(TimeSpan.FromSeconds(180), "node", "add").EnsureSuccess("contiv-lab node add");
            try
            {
                Assert.True(Eventually(() => Nodes() == "node1,node2,node3", TimeSpan.FromSeconds(90)), PodsByNode() + "\n" + lab.Diagnostics());
                Assert.Equal(0, KubectlLong(lab, "rollout", "status", $"daemonset/{name}", "--timeout=60s").ExitCode);
                var pod = PodsByNode().Split(' ', StringSplitOptions.RemoveEmptyEntries).Single(p => p.StartsWith("node3=", StringComparison.Ordinal))["node3=".Length..];
                onNode3?.Invoke(pod);
            }
            finally
            {
                lab.Run(TimeSpan.FromSeconds(120), "node", "delete", "node3");
            }
        }
        finally
        {
            lab.Kubectl("delete", "-f", file);
            File.Delete(file);
        }
    }
}
