using k8s;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>The controller-manager against the project's API server, with a fake kubelet making pods Ready.</summary>
public sealed class WorkloadControllerTests
{
    private static V1Deployment Deployment(string name, int replicas, string image, int maxSurge = 1, int maxUnavailable = 0) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Strategy = new V1DeploymentStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable } },
            Template = Template(name, image),
        },
    };

    private static V1PodTemplateSpec Template(string app, string image, string restartPolicy = "Always") => new()
    {
        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec { RestartPolicy = restartPolicy, Containers = [new V1Container { Name = "c", Image = image }] },
    };

    [Fact]
    public async Task A_deployment_gets_a_replicaset_and_ready_pods_scales_both_ways_and_reports_its_status()
    {
        await using var lab = await ControllerLab.StartAsync();
        await lab.Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", 3, "v1"), "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () =>
        {
            var d = await lab.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
            return d.Status?.AvailableReplicas == 3 && d.Status.UpdatedReplicas == 3 && d.Status.ObservedGeneration == 1;
        }));
        var rs = Assert.Single((await lab.Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
        Assert.StartsWith("web-", rs.Name(), StringComparison.Ordinal);
        Assert.Equal("1", rs.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        var pods = await lab.PodsAsync("app=web");
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p => Assert.Equal(rs.Metadata.Uid, p.Metadata.OwnerReferences.Single().Uid));
        Assert.Equal(2, pods.Select(p => p.Spec.NodeName).Distinct().Count());

        await lab.Client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{"replicas":6}}""", V1Patch.PatchType.MergePatch), "web", "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () => (await lab.PodsAsync("app=web")).Count(p => p.Status?.Phase == "Running") == 6
            && (await lab.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Status?.ReadyReplicas == 6));
        await lab.Client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{"replicas":2}}""", V1Patch.PatchType.MergePatch), "web", "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () => (await lab.PodsAsync("app=web")).Count == 2
            && (await lab.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Status?.Replicas == 2));
        var d2 = await lab.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        Assert.Contains(d2.Status.Conditions, c => c.Type == "Progressing" && c.Reason == "NewReplicaSetAvailable");
        Assert.Single((await lab.Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
    }

    [Fact]
    public async Task A_rolling_update_stays_within_max_surge_and_never_below_the_available_minimum()
    {
        await using var lab = await ControllerLab.StartAsync();
        await lab.Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", 4, "v1", maxSurge: 1, maxUnavailable: 0), "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () => (await lab.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Status?.AvailableReplicas == 4));

        var maxPods = 0;
        var minReady = int.MaxValue;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var pods = await lab.PodsAsync("app=web");
                maxPods = Math.Max(maxPods, pods.Count);
                minReady = Math.Min(minReady, pods.Count(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true));
                await Task.Delay(20);
            }
        });
        await lab.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"v2"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", "default");
        var done = await ControllerLab.EventuallyAsync(async () =>
        {
            var d = await lab.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
            var pods = await lab.PodsAsync("app=web");
            return d.Status?.ObservedGeneration == 2 && d.Status.UpdatedReplicas == 4 && d.Status.AvailableReplicas == 4 && d.Status.Replicas == 4
                && pods.Count == 4 && pods.All(p => p.Spec.Containers[0].Image == "v2");
        }, TimeSpan.FromSeconds(30));
        await sampling.CancelAsync();
        await sampler;
        Assert.True(done, "the rollout did not complete");
        Assert.True(maxPods <= 5, $"{maxPods} pods at once (replicas 4 + maxSurge 1)");
        Assert.True(minReady >= 4, $"only {minReady} ready pods at one point (maxUnavailable 0)");
        var sets = (await lab.Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items;
        Assert.Equal(2, sets.Count);
        Assert.Contains(sets, s => s.Spec.Replicas == 0 && s.Metadata.Annotations["deployment.kubernetes.io/revision"] == "1");
        Assert.Equal("2", (await lab.Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Metadata.Annotations["deployment.kubernetes.io/revision"]);

        // A template whose pods never become ready stalls the rollout: the old pods keep serving.
        await lab.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"never-ready"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", "default");
        await Task.Delay(2000);
        var stalled = await lab.PodsAsync("app=web");
        Assert.Equal(4, stalled.Count(p => p.Spec.Containers[0].Image == "v2"));
        Assert.Single(stalled, p => p.Spec.Containers[0].Image == "never-ready");
    }

    [Fact]
    public async Task Deleting_a_deployment_collects_its_replicasets_and_pods()
    {
        await using var lab = await ControllerLab.StartAsync();
        await lab.Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("gone", 2, "v1"), "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () => (await lab.PodsAsync("app=gone")).Count == 2));
        var bystander = new V1Pod { Metadata = new V1ObjectMeta { Name = "bystander", Labels = new Dictionary<string, string> { ["app"] = "gone" } }, Spec = Template("gone", "v1").Spec };
        await lab.Client.CoreV1.CreateNamespacedPodAsync(bystander, "default");
        await lab.Client.AppsV1.DeleteNamespacedDeploymentAsync("gone", "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () => (await lab.Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items.Count == 0
            && (await lab.PodsAsync("app=gone")).Select(p => p.Name()).SequenceEqual(["bystander"])));
    }

    [Fact]
    public async Task A_daemonset_runs_one_pod_per_ready_selected_node_including_nodes_that_become_ready()
    {
        await using var lab = await ControllerLab.StartAsync();
        await lab.AddNodeAsync("node3", ready: false);
        var ds = new V1DaemonSet
        {
            Metadata = new V1ObjectMeta { Name = "agent" },
            Spec = new V1DaemonSetSpec { Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } }, Template = Template("agent", "v1") },
        };
        await lab.Client.AppsV1.CreateNamespacedDaemonSetAsync(ds, "default");
        async Task<string> NodesOf(string selector) => string.Join(',', (await lab.PodsAsync(selector)).Select(p => p.Spec.NodeName).Order(StringComparer.Ordinal));
        Assert.True(await ControllerLab.EventuallyAsync(async () => await NodesOf("app=agent") == "node1,node2"));
        await lab.SetNodeReadyAsync("node3", true);
        Assert.True(await ControllerLab.EventuallyAsync(async () => await NodesOf("app=agent") == "node1,node2,node3"));
        Assert.True(await ControllerLab.EventuallyAsync(async () =>
        {
            var s = (await lab.Client.AppsV1.ReadNamespacedDaemonSetAsync("agent", "default")).Status;
            return s.DesiredNumberScheduled == 3 && s.NumberReady == 3 && s.UpdatedNumberScheduled == 3;
        }));

        var edge = new V1DaemonSet
        {
            Metadata = new V1ObjectMeta { Name = "edge" },
            Spec = new V1DaemonSetSpec { Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "edge" } }, Template = Template("edge", "v1") },
        };
        edge.Spec.Template.Spec.NodeSelector = new Dictionary<string, string> { ["role"] = "edge" };
        await lab.Client.AppsV1.CreateNamespacedDaemonSetAsync(edge, "default");
        await lab.Client.CoreV1.PatchNodeAsync(new V1Patch("""{"metadata":{"labels":{"role":"edge"}}}""", V1Patch.PatchType.MergePatch), "node2");
        Assert.True(await ControllerLab.EventuallyAsync(async () => await NodesOf("app=edge") == "node2"));
        await lab.Client.CoreV1.DeleteNodeAsync("node3");
        Assert.True(await ControllerLab.EventuallyAsync(async () => await NodesOf("app=agent") == "node1,node2"));
    }

    [Fact]
    public async Task A_job_runs_to_its_completions_and_a_failing_job_stops_at_its_backoff_limit()
    {
        await using var lab = await ControllerLab.StartAsync();
        var ok = new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "ok" },
            Spec = new V1JobSpec { Completions = 3, Parallelism = 2, Template = Template("ok", "succeed", "Never") },
        };
        await lab.Client.BatchV1.CreateNamespacedJobAsync(ok, "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () =>
            (await lab.Client.BatchV1.ReadNamespacedJobAsync("ok", "default")).Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true));
        var okStatus = (await lab.Client.BatchV1.ReadNamespacedJobAsync("ok", "default")).Status;
        Assert.Equal(3, okStatus.Succeeded);
        Assert.NotNull(okStatus.CompletionTime);

        var bad = new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "bad" },
            Spec = new V1JobSpec { BackoffLimit = 1, Template = Template("bad", "fail", "Never") },
        };
        await lab.Client.BatchV1.CreateNamespacedJobAsync(bad, "default");
        Assert.True(await ControllerLab.EventuallyAsync(async () =>
            (await lab.Client.BatchV1.ReadNamespacedJobAsync("bad", "default")).Status?.Conditions?.Any(c => c.Type == "Failed" && c.Reason == "BackoffLimitExceeded") == true));
        await Task.Delay(1500);
        Assert.Equal(2, (await lab.Client.BatchV1.ReadNamespacedJobAsync("bad", "default")).Status.Failed);
        Assert.Equal(2, (await lab.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "job-name=bad")).Items.Count);
    }
}
