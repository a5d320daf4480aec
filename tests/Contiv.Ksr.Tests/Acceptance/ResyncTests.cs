using Contiv.Model;
using k8s;
using k8s.Models;

namespace Contiv.Ksr.Tests.Acceptance;

/// <summary>Mark-and-sweep resync: KSR restarts, etcd restarts, etcd data loss, watch expiry.</summary>
public sealed class ResyncTests
{
    private const string PodPrefix = "/vnf-agent/contiv-ksr/k8s/pod/";

    private static string PodKey(string name, string ns = "default") => $"{PodPrefix}{name}/namespace/{ns}";

    [Fact]
    public async Task Changes_made_while_ksr_is_down_are_reconciled_on_start()
    {
        await using var lab = await KsrLab.StartAsync();
        var first = lab.StartKsr();
        await first.WaitSyncedAsync();
        await lab.CreatePodAsync("keep", ip: "10.1.1.2");
        await lab.CreatePodAsync("change", ip: "10.1.1.3");
        await lab.CreatePodAsync("remove", ip: "10.1.1.4");
        await lab.WaitForKeyAsync(PodKey("remove"), v => v.Contains("10.1.1.4", StringComparison.Ordinal));
        await lab.WaitForKeyAsync(PodKey("change"), v => v.Contains("10.1.1.3", StringComparison.Ordinal));
        await lab.WaitForKeyAsync(PodKey("keep"), v => v.Contains("10.1.1.2", StringComparison.Ordinal));
        await first.StopAsync();
        var keepBefore = (await lab.Reader.GetAsync(PodKey("keep")))!;

        // While KSR is down: Kubernetes changes, and etcd gets a stale and a corrupt record.
        await lab.Kube.CoreV1.DeleteNamespacedPodAsync("remove", "default");
        await lab.CreatePodAsync("added", ip: "10.1.1.5");
        await lab.Kube.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"v":"2"}}}""", V1Patch.PatchType.MergePatch), "change", "default");
        await lab.Reader.PutAsync(PodKey("ghost"), """{"name":"ghost","namespace":"default"}""");
        await lab.Reader.PutAsync(PodKey("garbage"), "this is not JSON");
        await lab.Reader.PutAsync("/vnf-agent/contiv-ksr/k8s/namespace/gone", """{"name":"gone"}""");

        var second = lab.StartKsr();
        await second.WaitSyncedAsync();
        var pods = await lab.ListAsync(PodPrefix);
        Assert.Equal(
            new[] { PodKey("added"), PodKey("change"), PodKey("keep") },
            pods.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("\"v\":\"2\"", pods[PodKey("change")], StringComparison.Ordinal);
        Assert.Contains("10.1.1.5", pods[PodKey("added")], StringComparison.Ordinal);
        Assert.Null(await lab.Reader.GetAsync("/vnf-agent/contiv-ksr/k8s/namespace/gone"));
        Assert.NotNull(await lab.Reader.GetAsync("/vnf-agent/contiv-ksr/k8s/namespace/default"));

        // The unchanged record was not rewritten.
        Assert.Equal(keepBefore.ModRevision, (await lab.Reader.GetAsync(PodKey("keep")))!.ModRevision);
        var stats = second.Runner.Reflectors.Single(r => r.Name == "Pod").Statistics;
        Assert.Equal(1, stats.Adds);    // added
        Assert.Equal(1, stats.Updates); // change
        Assert.Equal(3, stats.Deletes); // remove, ghost, garbage
    }

    [Fact]
    public async Task Etcd_stopped_and_restarted_is_reconciled()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();
        await lab.CreatePodAsync("before", ip: "10.1.1.2");
        await lab.CreatePodAsync("doomed", ip: "10.1.1.3");
        await lab.WaitForKeyAsync(PodKey("doomed"), v => v.Contains("10.1.1.3", StringComparison.Ordinal));
        await lab.WaitForKeyAsync(PodKey("before"), v => v.Contains("10.1.1.2", StringComparison.Ordinal));

        await lab.Etcd.StopAsync();
        await KsrLab.WaitUntilAsync(() => Task.FromResult(!ksr.Runner.Controller.Writable), TimeSpan.FromSeconds(15), () => Task.FromResult("KSR did not notice etcd is down"));

        // Kubernetes keeps changing while etcd is down.
        await lab.CreatePodAsync("during", ip: "10.1.1.4");
        await lab.Kube.CoreV1.DeleteNamespacedPodAsync("doomed", "default");
        await lab.Kube.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"x":"y"}}}""", V1Patch.PatchType.MergePatch), "before", "default");

        await lab.Etcd.StartAgainAsync();
        await lab.WaitForKeyAsync(PodKey("during"), v => v.Contains("10.1.1.4", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        await lab.WaitForNoKeyAsync(PodKey("doomed"));
        await lab.WaitForKeyAsync(PodKey("before"), v => v.Contains("\"x\":\"y\"", StringComparison.Ordinal));
        await ksr.WaitSyncedAsync();
        Assert.True(ksr.Runner.Controller.FullResyncs >= 2, $"full resyncs: {ksr.Runner.Controller.FullResyncs}");
    }

    [Fact]
    public async Task Etcd_data_deleted_under_a_running_ksr_is_detected_as_data_loss_and_rewritten()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();
        for (var i = 0; i < 20; i++)
        {
            await lab.CreatePodAsync("p" + i);
        }

        await lab.WaitForKeyAsync(PodKey("p19"));
        await lab.WaitForKeyAsync(Keys.KsrStatsKey);
        await ksr.WaitSyncedAsync();
        var before = await lab.ListAsync(Keys.KsrPrefix + "k8s/");

        // Everything disappears while the connection stays up: only the statistics key can tell.
        await lab.Etcd.DeletePrefixAsync("/vnf-agent/");
        await KsrLab.WaitUntilAsync(async () => (await lab.ListAsync(Keys.KsrPrefix + "k8s/")).Count == before.Count, TimeSpan.FromSeconds(20),
            async () => $"{(await lab.ListAsync(Keys.KsrPrefix + "k8s/")).Count} of {before.Count} keys back");
        Assert.Equal(before, await lab.ListAsync(Keys.KsrPrefix + "k8s/"));
        Assert.True(ksr.Runner.Controller.DataLossEvents >= 1);
    }

    [Fact]
    public async Task Etcd_wiped_and_restarted_empty_gets_everything_rewritten()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();
        for (var i = 0; i < 10; i++)
        {
            await lab.CreatePodAsync("w" + i, ip: "10.1.1." + (i + 2));
        }

        await lab.WaitForKeyAsync(PodKey("w9"), v => v.Contains("10.1.1.11", StringComparison.Ordinal));
        await ksr.WaitSyncedAsync();
        var before = await lab.ListAsync(Keys.KsrPrefix + "k8s/");

        await lab.Etcd.WipeAsync(); // new, empty etcd: revision starts over
        await KsrLab.WaitUntilAsync(async () => (await lab.ListAsync(Keys.KsrPrefix + "k8s/")).Count == before.Count, TimeSpan.FromSeconds(40),
            async () => $"{(await lab.ListAsync(Keys.KsrPrefix + "k8s/")).Count} of {before.Count} keys back");
        Assert.Equal(before, await lab.ListAsync(Keys.KsrPrefix + "k8s/"));
    }

    [Fact]
    public async Task Expired_watch_relists_and_sweeps_stale_keys()
    {
        await using var lab = await KsrLab.StartAsync();
        var settings = lab.Settings();
        settings.WatchTimeoutSeconds = 1;
        var gate = new WatchGate("/pods");
        var ksr = lab.StartKsr(settings, handler: gate);
        await ksr.WaitSyncedAsync();
        await lab.CreatePodAsync("a");
        await lab.WaitForKeyAsync(PodKey("a"));
        await ksr.WaitSyncedAsync();
        var podInformer = ksr.Runner.Informers.Single(i => i.Resource == "pods");
        var listsBefore = podInformer.Lists;

        // Hold the pod watch's next request (it ends every second), change pods meanwhile, and compact
        // the API server's history past the resourceVersion KSR will resume from.
        gate.Close();
        await gate.WaitHeldAsync(TimeSpan.FromSeconds(10));
        await lab.CreatePodAsync("b");
        await lab.Kube.CoreV1.DeleteNamespacedPodAsync("a", "default");
        await lab.Reader.PutAsync(PodKey("stale"), """{"name":"stale","namespace":"default"}""");
        lab.Api.CompactHistory();
        gate.Open();

        await KsrLab.WaitUntilAsync(() => Task.FromResult(podInformer.Lists > listsBefore), TimeSpan.FromSeconds(15), () => Task.FromResult($"pod informer lists: {podInformer.Lists}"));
        await lab.WaitForNoKeyAsync(PodKey("stale"));
        await lab.WaitForNoKeyAsync(PodKey("a"));
        await lab.WaitForKeyAsync(PodKey("b"));
    }
}
