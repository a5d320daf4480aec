using k8s;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>The endpoints controller: Endpoints from Services' selectors and ready pods with a pod IP.</summary>
public sealed class EndpointsControllerTests
{
    private static async Task SetStatusAsync(Kubernetes client, string name, string ip, bool ready, string ns = "default")
    {
        var status = $$$"""{"status":{"phase":"Running","podIP":"{{{ip}}}","podIPs":[{"ip":"{{{ip}}}"}],"conditions":[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]}}""";
        await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch), name, ns);
    }

    private static async Task<V1Endpoints?> WaitForAsync(Kubernetes client, string name, Func<V1Endpoints, bool> condition)
    {
        V1Endpoints? last = null;
        await Lab.EventuallyAsync(async () =>
        {
            try
            {
                last = await client.CoreV1.ReadNamespacedEndpointsAsync(name, "default");
                return condition(last);
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return false;
            }
        });
        return last;
    }

    [Fact]
    public async Task Ready_pods_become_addresses_and_not_ready_pods_not_ready_addresses_with_named_target_ports()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web", Labels = new Dictionary<string, string> { ["team"] = "x" } },
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { ["app"] = "web" },
                Ports = [new V1ServicePort { Port = 80, Name = "http", TargetPort = "http" }],
            },
        }, "default");
        var labels = new Dictionary<string, string> { ["app"] = "web" };
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("w1", labels, "n1"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("w2", labels, "n2"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("w3", labels, "n1"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("other", new Dictionary<string, string> { ["app"] = "db" }, "n1"), "default");
        await SetStatusAsync(client, "w1", "10.1.1.20", ready: true);
        await SetStatusAsync(client, "w2", "10.1.1.3", ready: true);
        await SetStatusAsync(client, "w3", "10.1.1.4", ready: false);
        await SetStatusAsync(client, "other", "10.1.1.5", ready: true);

        var ep = await WaitForAsync(client, "web", e => e.Subsets?.Count == 1 && e.Subsets[0].Addresses?.Count == 2 && e.Subsets[0].NotReadyAddresses?.Count == 1);
        Assert.NotNull(ep);
        var subset = Assert.Single(ep.Subsets);
        Assert.Equal(["10.1.1.3", "10.1.1.20"], subset.Addresses.Select(a => a.Ip));
        Assert.Equal(["w2", "w1"], subset.Addresses.Select(a => a.TargetRef.Name));
        Assert.Equal("n2", subset.Addresses[0].NodeName);
        Assert.Equal("10.1.1.4", Assert.Single(subset.NotReadyAddresses).Ip);
        var port = Assert.Single(subset.Ports);
        Assert.Equal(8080, port.Port);
        Assert.Equal("http", port.Name);
        Assert.Equal("x", ep.Metadata.Labels["team"]);
    }

    [Fact]
    public async Task Endpoints_follow_pod_deletion_and_service_deletion()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "api" }, Ports = [new V1ServicePort { Port = 443, TargetPort = 8443 }] },
        }, "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("a1", new Dictionary<string, string> { ["app"] = "api" }), "default");
        await SetStatusAsync(client, "a1", "10.1.2.2", ready: true);
        var ep = await WaitForAsync(client, "api", e => e.Subsets?.Count == 1);
        Assert.Equal(8443, ep!.Subsets[0].Ports[0].Port);

        await client.CoreV1.DeleteNamespacedPodAsync("a1", "default");
        ep = await WaitForAsync(client, "api", e => e.Subsets is null || e.Subsets.Count == 0);
        Assert.True(ep!.Subsets is null || ep.Subsets.Count == 0);

        await client.CoreV1.DeleteNamespacedServiceAsync("api", "default");
        Assert.True(await Lab.EventuallyAsync(async () => !(await client.CoreV1.ListNamespacedEndpointsAsync("default")).Items.Any(e => e.Metadata.Name == "api")));
    }

    [Fact]
    public async Task Selector_less_services_keep_user_written_endpoints()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "ext" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, "default");
        await client.CoreV1.CreateNamespacedEndpointsAsync(new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "ext" },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.0.2.1" }], Ports = [new Corev1EndpointPort { Port = 80 }] }],
        }, "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("p"), "default");
        await Task.Delay(300);
        var ep = await client.CoreV1.ReadNamespacedEndpointsAsync("ext", "default");
        Assert.Equal("192.0.2.1", ep.Subsets[0].Addresses[0].Ip);
    }
}
