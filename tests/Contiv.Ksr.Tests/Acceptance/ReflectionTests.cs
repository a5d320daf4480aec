using System.Text.Json;
using Contiv.Model;
using Contiv.Model.Ksr;
using k8s;
using k8s.Models;

namespace Contiv.Ksr.Tests.Acceptance;

/// <summary>Create, update and delete of every kind, through the lab API server into real etcd.</summary>
public sealed class ReflectionTests
{
    private const string P = "/vnf-agent/contiv-ksr/";

    [Fact]
    public async Task Pods_are_reflected_on_create_update_and_delete_under_the_exact_key()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();

        await lab.CreatePodAsync("web-1", labels: new Dictionary<string, string> { ["app"] = "web" }, node: "node-1", ip: "10.1.1.2");
        var key = P + "k8s/pod/web-1/namespace/default";
        await lab.WaitForKeyAsync(key, v => v.Contains("\"ip_address\":\"10.1.1.2\"", StringComparison.Ordinal));
        var pod = ProtoJson.Parse<Pod>((await lab.Reader.GetAsync(key))!.Value);
        Assert.Equal("web-1", pod.Name);
        Assert.Equal("default", pod.Namespace);
        Assert.Equal("192.168.16.1", pod.HostIpAddress);
        Assert.Equal("web", pod.Labels["app"]);
        Assert.Equal("app", Assert.Single(pod.Label).Key);

        var patch = new V1Patch("""{"metadata":{"labels":{"app":"web","tier":"front"}}}""", V1Patch.PatchType.MergePatch);
        await lab.Kube.CoreV1.PatchNamespacedPodAsync(patch, "web-1", "default");
        await lab.WaitForKeyAsync(key, v => v.Contains("\"tier\":\"front\"", StringComparison.Ordinal));

        await lab.Kube.CoreV1.DeleteNamespacedPodAsync("web-1", "default");
        await lab.WaitForNoKeyAsync(key);
        var stats = ksr.Runner.Reflectors.Single(r => r.Name == "Pod").Statistics;
        await KsrLab.WaitUntilAsync(
            () => Task.FromResult(stats.Adds >= 1 && stats.Updates >= 1 && stats.Deletes >= 1),
            TimeSpan.FromSeconds(5),
            () => Task.FromResult($"adds {stats.Adds} updates {stats.Updates} deletes {stats.Deletes}"));
    }

    [Fact]
    public async Task Namespaces_services_endpoints_policies_and_sfc_pods_are_reflected_under_their_keys()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();

        await lab.Kube.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop", Labels = new Dictionary<string, string> { ["team"] = "a" } } });
        await lab.WaitForKeyAsync(P + "k8s/namespace/shop", v => v == """{"name":"shop","label":[{"key":"kubernetes.io/metadata.name","value":"shop"},{"key":"team","value":"a"}]}""");

        await lab.Kube.CoreV1.CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = "web" },
                Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "web" }, Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }] },
            },
            "shop");
        await lab.WaitForKeyAsync(P + "k8s/service/web/namespace/shop", v => v.Contains("\"cluster_ip\":\"10.", StringComparison.Ordinal));
        var service = ProtoJson.Parse<Service>((await lab.Reader.GetAsync(P + "k8s/service/web/namespace/shop"))!.Value);
        Assert.Equal("ClusterIP", service.ServiceType);
        Assert.Equal(8080, service.Port[0].TargetPort.IntVal);

        // The API server's endpoints controller turns a ready pod into an endpoint address.
        await lab.CreatePodAsync("web-0", "shop", new Dictionary<string, string> { ["app"] = "web" }, "node-1", "10.1.1.5");
        var readyPod = await lab.Kube.CoreV1.ReadNamespacedPodAsync("web-0", "shop");
        readyPod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }];
        await lab.Kube.CoreV1.ReplaceNamespacedPodStatusAsync(readyPod, "web-0", "shop");
        await lab.WaitForKeyAsync(P + "k8s/endpoints/web/namespace/shop", v => v.Contains("10.1.1.5", StringComparison.Ordinal));
        var endpoints = ProtoJson.Parse<Endpoints>((await lab.Reader.GetAsync(P + "k8s/endpoints/web/namespace/shop"))!.Value);
        Assert.Equal("10.1.1.5", endpoints.EndpointSubsets[0].Addresses[0].Ip);

        await lab.Kube.NetworkingV1.CreateNamespacedNetworkPolicyAsync(
            new V1NetworkPolicy
            {
                Metadata = new V1ObjectMeta { Name = "db-allow" },
                Spec = new V1NetworkPolicySpec
                {
                    PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["role"] = "db" } },
                    PolicyTypes = ["Ingress"],
                    Ingress = [new V1NetworkPolicyIngressRule { Ports = [new V1NetworkPolicyPort { Port = 5432 }], FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } } }] }],
                },
            },
            "shop");
        await lab.WaitForKeyAsync(P + "k8s/policy/db-allow/namespace/shop");
        using (var doc = JsonDocument.Parse((await lab.Reader.GetAsync(P + "k8s/policy/db-allow/namespace/shop"))!.Value))
        {
            Assert.Equal("INGRESS", doc.RootElement.GetProperty("policy_type").GetString());
            Assert.Equal(5432, doc.RootElement.GetProperty("ingress_rule")[0].GetProperty("port")[0].GetProperty("port").GetProperty("number").GetInt32());
        }

        await lab.CreatePodAsync("chain-1", "shop", new Dictionary<string, string> { ["sfc"] = "true" }, "node-2");
        await lab.WaitForKeyAsync(P + "sfc-controller/v2/status/network-pod-to-node-map/chain-1-namespace-shop", v => v == """{"pod":"chain-1","node":"node-2"}""");

        // Deletes remove the keys.
        await lab.Kube.NetworkingV1.DeleteNamespacedNetworkPolicyAsync("db-allow", "shop");
        await lab.Kube.CoreV1.DeleteNamespacedServiceAsync("web", "shop");
        await lab.Kube.CoreV1.DeleteNamespacedPodAsync("chain-1", "shop");
        await lab.WaitForNoKeyAsync(P + "k8s/policy/db-allow/namespace/shop");
        await lab.WaitForNoKeyAsync(P + "k8s/service/web/namespace/shop");
        await lab.WaitForNoKeyAsync(P + "k8s/endpoints/web/namespace/shop");
        await lab.WaitForNoKeyAsync(P + "sfc-controller/v2/status/network-pod-to-node-map/chain-1-namespace-shop");
    }

    [Fact]
    public async Task Node_delete_frees_its_node_id_and_its_agent_prefix_and_nothing_else()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();

        foreach (var name in new[] { "node-a", "node-b" })
        {
            await lab.Kube.CoreV1.CreateNodeAsync(new V1Node
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1NodeSpec { PodCIDR = name == "node-a" ? "10.1.1.0/24" : "10.1.2.0/24" },
                Status = new V1NodeStatus { Addresses = [new V1NodeAddress { Type = "InternalIP", Address = "192.168.16." + (name == "node-a" ? "1" : "2") }] },
            });
        }

        await lab.WaitForKeyAsync(P + "k8s/node/node-a", v => v.Contains("\"pod_CIDR\":\"10.1.1.0/24\"", StringComparison.Ordinal));
        await lab.WaitForKeyAsync(P + "k8s/node/node-b");

        // What the agents would have written.
        await lab.Reader.PutAsync(P + "allocatedIDs/1", """{"id":1,"name":"node-a","ip_addresses":["192.168.16.1/24"]}""");
        await lab.Reader.PutAsync(P + "allocatedIDs/2", """{"id":2,"name":"node-b","ip_addresses":["192.168.16.2/24"]}""");
        await lab.Reader.PutAsync("/vnf-agent/node-a/config/vpp/v2/interfaces/loop1", "{}");
        await lab.Reader.PutAsync("/vnf-agent/node-a/status", "{}");
        await lab.Reader.PutAsync("/vnf-agent/node-b/config/vpp/v2/interfaces/loop1", "{}");
        await lab.Reader.PutAsync("/vnf-agent/node-ab/config/x", "{}"); // shares the prefix text, not the node

        await lab.Kube.CoreV1.DeleteNodeAsync("node-a");
        await lab.WaitForNoKeyAsync(P + "k8s/node/node-a");
        await lab.WaitForNoKeyAsync(P + "allocatedIDs/1");
        await KsrLab.WaitUntilAsync(async () => (await lab.ListAsync("/vnf-agent/node-a/")).Count == 0, TimeSpan.FromSeconds(10), async () => string.Join(",", (await lab.ListAsync("/vnf-agent/node-a/")).Keys));

        Assert.NotNull(await lab.Reader.GetAsync(P + "allocatedIDs/2"));
        Assert.NotNull(await lab.Reader.GetAsync("/vnf-agent/node-b/config/vpp/v2/interfaces/loop1"));
        Assert.NotNull(await lab.Reader.GetAsync("/vnf-agent/node-ab/config/x"));
        Assert.NotNull(await lab.Reader.GetAsync(P + "k8s/node/node-b"));
    }

    [Fact]
    public async Task An_update_that_does_not_change_the_record_is_not_written()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();
        await lab.CreatePodAsync("quiet", node: "node-1", ip: "10.1.1.9");
        var key = P + "k8s/pod/quiet/namespace/default";
        await lab.WaitForKeyAsync(key, v => v.Contains("10.1.1.9", StringComparison.Ordinal));
        await ksr.WaitSyncedAsync();
        var before = (await lab.Reader.GetAsync(key))!;

        // An annotation outside contivpp.io changes the pod but not its record.
        var patch = new V1Patch("""{"metadata":{"annotations":{"example.org/note":"hello"}}}""", V1Patch.PatchType.MergePatch);
        await lab.Kube.CoreV1.PatchNamespacedPodAsync(patch, "quiet", "default");
        await lab.Kube.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"annotations":{"contivpp.io/x":"1"}}}""", V1Patch.PatchType.MergePatch), "quiet", "default");
        await lab.WaitForKeyAsync(key, v => v.Contains("contivpp.io/x", StringComparison.Ordinal));
        var after = await lab.Reader.GetAsync(key);
        Assert.Equal(before.Version + 1, after!.Version); // one write for the contivpp.io annotation, none for the other one
        Assert.True(after.ModRevision > before.ModRevision);
    }

    [Fact]
    public async Task Statistics_are_written_to_status_gauges_with_the_original_names()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr();
        await ksr.WaitSyncedAsync();
        await lab.CreatePodAsync("counted");
        await lab.WaitForKeyAsync(P + "status/gauges", v => v.Contains("\"podStats\":{\"Adds\":\"1\"", StringComparison.Ordinal));
        var stats = ProtoJson.Parse<Stats>((await lab.Reader.GetAsync(P + "status/gauges"))!.Value);
        Assert.True(stats.NamespaceStats.Adds >= 4); // default, kube-system, kube-public, kube-node-lease
        Assert.True(stats.PodStats.Resyncs >= 1);
    }

    [Fact]
    public async Task An_idle_ksr_does_not_read_the_statistics_key_but_a_deleted_key_is_noticed_at_once()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr(); // stats interval 200 ms
        await ksr.WaitSyncedAsync();
        await lab.CreatePodAsync("idle");
        await lab.WaitForKeyAsync(P + "status/gauges", v => v.Contains("\"podStats\":{\"Adds\":\"1\"", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // Ten statistics intervals without a change: the data-loss canary is a watch, not a read per interval.
        var checks = ksr.Runner.Controller.CanaryChecks;
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(checks, ksr.Runner.Controller.CanaryChecks);

        // The watch wakes the check when the key goes away: data loss, full resync, the key is back.
        var losses = ksr.Runner.Controller.DataLossEvents;
        await lab.Reader.DeleteAsync(P + "status/gauges");
        await KsrLab.WaitUntilAsync(() => Task.FromResult(ksr.Runner.Controller.DataLossEvents > losses), TimeSpan.FromSeconds(5),
            () => Task.FromResult($"data-loss events: {ksr.Runner.Controller.DataLossEvents}"));
        await lab.WaitForKeyAsync(P + "status/gauges");
    }

    [Fact]
    public async Task Unchanged_statistics_are_not_rewritten_while_idle_but_a_change_is_written_at_once()
    {
        await using var lab = await KsrLab.StartAsync();
        var ksr = lab.StartKsr(); // stats interval 200 ms
        await ksr.WaitSyncedAsync();
        await lab.CreatePodAsync("before-idle");
        await lab.WaitForKeyAsync(P + "status/gauges", v => v.Contains("\"podStats\":{\"Adds\":\"1\"", StringComparison.Ordinal));
        var first = await lab.Reader.GetAsync(P + "status/gauges");

        // Ten intervals without a change: no etcd write (the key keeps its revision and version).
        await Task.Delay(TimeSpan.FromSeconds(2));
        var idle = await lab.Reader.GetAsync(P + "status/gauges");
        Assert.Equal(first!.ModRevision, idle!.ModRevision);
        Assert.Equal(first.Version, idle.Version);

        // A change is written within an interval or so.
        await lab.CreatePodAsync("after-idle");
        await lab.WaitForKeyAsync(P + "status/gauges", v => v.Contains("\"podStats\":{\"Adds\":\"2\"", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
    }
}
