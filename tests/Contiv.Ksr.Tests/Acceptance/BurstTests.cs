using System.Diagnostics;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace Contiv.Ksr.Tests.Acceptance;

public sealed class BurstTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_burst_of_5000_pods_is_reflected_completely()
    {
        const int N = 5000;
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();

        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, N), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            await lab.Kube.CoreV1.CreateNamespacedPodAsync(
                new V1Pod
                {
                    Metadata = new V1ObjectMeta { Name = $"burst-{i:D5}", Labels = new Dictionary<string, string> { ["app"] = "burst" } },
                    Spec = new V1PodSpec { NodeName = "node-" + (i % 4), Containers = [new V1Container { Name = "c", Image = "busybox" }] },
                },
                "default",
                cancellationToken: ct);
        });
        var created = sw.Elapsed;

        await KsrLab.WaitUntilAsync(
            async () => (await lab.ListAsync("/vnf-agent/contiv-ksr/k8s/pod/")).Count == N,
            TimeSpan.FromSeconds(90),
            async () => $"{(await lab.ListAsync("/vnf-agent/contiv-ksr/k8s/pod/")).Count} of {N} pod keys");
        output.WriteLine($"{N} pods created in {created.TotalSeconds:0.00} s, all in etcd after {sw.Elapsed.TotalSeconds:0.00} s");

        var pods = await lab.ListAsync("/vnf-agent/contiv-ksr/k8s/pod/");
        for (var i = 0; i < N; i++)
        {
            Assert.True(pods.ContainsKey($"/vnf-agent/contiv-ksr/k8s/pod/burst-{i:D5}/namespace/default"), $"burst-{i:D5} missing");
        }

        await ksr.WaitSyncedAsync();
        var stats = ksr.Runner.Reflectors.Single(r => r.Name == "Pod").Statistics;
        Assert.Equal(N, stats.Adds);
        Assert.Equal(0, stats.AddErrors);
    }
}
