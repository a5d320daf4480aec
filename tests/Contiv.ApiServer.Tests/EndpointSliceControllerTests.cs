using k8s;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>
/// The EndpointSlice side of the endpoints controller (one pod selection for both): slices per Service with readiness
/// conditions, the <c>kubernetes.io/service-name</c> and managed-by labels, terminating pods kept as not ready, removal
/// with the Service, and <c>kubectl get endpointslices</c> with the real server's columns.
/// </summary>
public sealed class EndpointSliceControllerTests
{
    private static async Task SetStatusAsync(Kubernetes client, string name, string ip, bool ready)
    {
        var status = $$$"""{"status":{"phase":"Running","podIP":"{{{ip}}}","podIPs":[{"ip":"{{{ip}}}"}],"conditions":[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]}}""";
        await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch), name, "default");
    }

    private static async Task<V1EndpointSlice?> WaitForSliceAsync(Kubernetes client, string service, Func<V1EndpointSlice, bool> condition)
    {
        V1EndpointSlice? last = null;
        var found = await Lab.EventuallyAsync(async () =>
        {
            var list = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync("default", labelSelector: "kubernetes.io/service-name=" + service);
            last = list.Items.Count == 1 ? list.Items[0] : null;
            return last is not null && condition(last);
        });
        return found ? last : null;
    }

    [Fact]
    public async Task A_services_slice_follows_readiness_and_termination_and_goes_with_the_service()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var svc = await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web", Labels = new Dictionary<string, string> { ["team"] = "x" } },
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { ["app"] = "web" },
                Ports = [new V1ServicePort { Port = 80, Name = "http", TargetPort = "http" }],
            },
        }, "default");

        // No pods yet: a placeholder slice without endpoints.
        var empty = await WaitForSliceAsync(client, "web", s => s.Endpoints is null or { Count: 0 });
        Assert.NotNull(empty);

        var labels = new Dictionary<string, string> { ["app"] = "web" };
        foreach (var (pod, node) in new[] { ("w1", "n1"), ("w2", "n2"), ("w3", "n1") })
        {
            await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod(pod, labels, node), "default");
        }

        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("other", new Dictionary<string, string> { ["app"] = "db" }, "n1"), "default");
        await SetStatusAsync(client, "w1", "10.1.1.20", ready: true);
        await SetStatusAsync(client, "w2", "10.1.1.3", ready: true);
        await SetStatusAsync(client, "w3", "10.1.1.4", ready: false);
        await SetStatusAsync(client, "other", "10.1.1.5", ready: true);

        var slice = await WaitForSliceAsync(client, "web", s => s.Endpoints?.Count == 3);
        Assert.NotNull(slice);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.StartsWith("web-", slice.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("web", slice.Metadata.Labels["kubernetes.io/service-name"]);
        Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal("x", slice.Metadata.Labels["team"]);
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("Service", "web", svc.Metadata.Uid, true), (owner.Kind, owner.Name, owner.Uid, owner.Controller == true));
        var port = Assert.Single(slice.Ports);
        Assert.Equal(("http", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
        Assert.Equal(["10.1.1.3", "10.1.1.4", "10.1.1.20"], slice.Endpoints.Select(e => e.Addresses.Single()));
        Assert.Equal([true, false, true], slice.Endpoints.Select(e => e.Conditions.Ready == true));
        Assert.Equal("n2", slice.Endpoints[0].NodeName);
        Assert.Equal("w2", slice.Endpoints[0].TargetRef.Name);

        // A terminating pod (graceful deletion of a scheduled pod) leaves the Endpoints but stays in the slice, not ready.
        await client.CoreV1.DeleteNamespacedPodAsync("w1", "default", gracePeriodSeconds: 30);
        slice = await WaitForSliceAsync(client, "web", s => s.Endpoints.Any(e => e.Conditions.Terminating == true));
        Assert.NotNull(slice);
        var terminating = slice.Endpoints.Single(e => e.Addresses[0] == "10.1.1.20");
        Assert.Equal((false, true, true), (terminating.Conditions.Ready, terminating.Conditions.Serving, terminating.Conditions.Terminating));
        var ep = await client.CoreV1.ReadNamespacedEndpointsAsync("web", "default");
        Assert.DoesNotContain(ep.Subsets.SelectMany(s => (s.Addresses ?? []).Concat(s.NotReadyAddresses ?? [])), a => a.Ip == "10.1.1.20");

        // Readiness flips are written; a slice deleted by hand is made again.
        await SetStatusAsync(client, "w3", "10.1.1.4", ready: true);
        Assert.NotNull(await WaitForSliceAsync(client, "web", s => s.Endpoints.Single(e => e.Addresses[0] == "10.1.1.4").Conditions.Ready == true));
        await client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(slice.Metadata.Name, "default");
        Assert.NotNull(await WaitForSliceAsync(client, "web", s => s.Endpoints?.Count == 3));

        await client.CoreV1.DeleteNamespacedServiceAsync("web", "default");
        Assert.True(await Lab.EventuallyAsync(async () => (await client.DiscoveryV1.ListNamespacedEndpointSliceAsync("default")).Items.Count == 0));
    }

    [Fact]
    public async Task Kubectl_get_endpointslices_prints_address_type_ports_and_endpoints()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        using var kubectl = new Kubectl(server.Url);
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "api" }, Ports = [new V1ServicePort { Port = 443, TargetPort = 8443 }] },
        }, "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("a1", new Dictionary<string, string> { ["app"] = "api" }), "default");
        await SetStatusAsync(client, "a1", "10.1.2.7", ready: true);
        Assert.NotNull(await WaitForSliceAsync(client, "api", s => s.Endpoints?.Count == 1));

        var table = kubectl.Ok("get", "endpointslices", "-l", "kubernetes.io/service-name=api");
        var lines = table.Trim().Split('\n');
        Assert.Equal(["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("api-", row[0], StringComparison.Ordinal);
        Assert.Equal(["IPv4", "8443", "10.1.2.7"], row[1..4]);
        Assert.Contains("discovery.k8s.io/v1", kubectl.Ok("api-resources", "--api-group=discovery.k8s.io"), StringComparison.Ordinal);
    }
}
