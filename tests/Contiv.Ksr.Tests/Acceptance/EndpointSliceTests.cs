using Contiv.Ksr.Configuration;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using Contiv.Model.Ksr;
using k8s;
using k8s.Models;

namespace Contiv.Ksr.Tests.Acceptance;

public sealed class EndpointSliceTests
{
    private static V1EndpointSlice Slice(string name, string service, params string[] ips) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [EndpointsConversion.ServiceNameLabel] = service } },
        AddressType = "IPv4",
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
        Endpoints = ips.Select(ip => new V1Endpoint { Addresses = [ip], Conditions = new V1EndpointConditions { Ready = true }, NodeName = "node-1" }).ToList(),
    };

    [Fact]
    public async Task EndpointSlices_of_a_service_are_merged_into_one_endpoints_record()
    {
        await using var lab = await KsrLab.StartAsync();
        var settings = lab.Settings();
        settings.EndpointsSource = EndpointsSource.EndpointSlices;
        var ksr = lab.StartKsr(settings);
        await ksr.WaitSyncedAsync();
        var key = Keys.Endpoints("web", "default");

        await lab.Kube.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice("web-a", "web", "10.1.1.2"), "default");
        await lab.Kube.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice("web-b", "web", "10.1.2.2", "10.1.1.3"), "default");
        await lab.WaitForKeyAsync(key, v => ProtoJson.Parse<Endpoints>(v).EndpointSubsets.Sum(s => s.Addresses.Count) == 3);
        var record = ProtoJson.Parse<Endpoints>((await lab.Reader.GetAsync(key))!.Value);
        var subset = Assert.Single(record.EndpointSubsets);
        Assert.Equal(["10.1.1.2", "10.1.1.3", "10.1.2.2"], subset.Addresses.Select(a => a.Ip));
        Assert.Equal(8080, Assert.Single(subset.Ports).Port);

        await lab.Kube.DiscoveryV1.DeleteNamespacedEndpointSliceAsync("web-b", "default");
        await lab.WaitForKeyAsync(key, v => ProtoJson.Parse<Endpoints>(v).EndpointSubsets.Sum(s => s.Addresses.Count) == 1);
        await lab.Kube.DiscoveryV1.DeleteNamespacedEndpointSliceAsync("web-a", "default");
        await lab.WaitForNoKeyAsync(key);
    }

    [Fact]
    public async Task The_lab_controllers_slices_reflect_into_the_same_record_as_its_endpoints()
    {
        await using var lab = await KsrLab.StartAsync();
        var settings = lab.Settings();
        settings.EndpointsSource = EndpointsSource.EndpointSlices;
        var ksr = lab.StartKsr(settings);
        await ksr.WaitSyncedAsync();
        var key = Keys.Endpoints("shop", "default");
        var labels = new Dictionary<string, string> { ["app"] = "shop" };
        await lab.Kube.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "shop" },
            Spec = new V1ServiceSpec { Selector = labels, Ports = [new V1ServicePort { Name = "web", Port = 80, TargetPort = "http" }] },
        }, "default");
        await lab.CreatePodAsync("s1", labels: labels, node: "node-1", ip: "10.1.1.7");
        await lab.CreatePodAsync("s2", labels: labels, node: "node-1", ip: "10.1.1.8");
        await lab.Kube.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch), "s1", "default");

        // Only the API server's EndpointSlice controller feeds this KSR: the record has the ready and the not-ready pod.
        await lab.WaitForKeyAsync(key, v => ProtoJson.Parse<Endpoints>(v) is var r && r.EndpointSubsets.Sum(s => s.Addresses.Count) == 1 && r.EndpointSubsets.Sum(s => s.NotReadyAddresses.Count) == 1);
        var record = ProtoJson.Parse<Endpoints>((await lab.Reader.GetAsync(key))!.Value);
        var subset = Assert.Single(record.EndpointSubsets);
        Assert.Equal("10.1.1.7", Assert.Single(subset.Addresses).Ip);
        Assert.Equal("10.1.1.8", Assert.Single(subset.NotReadyAddresses).Ip);
        var port = Assert.Single(subset.Ports);
        Assert.Equal(("web", 80), (port.Name, port.Port));

        // The same as KSR makes of the Endpoints object of the same controller pass.
        var endpoints = await lab.Kube.CoreV1.ReadNamespacedEndpointsAsync("shop", "default");
        Assert.Equal(EndpointsConversion.ToProto(endpoints).EndpointSubsets, record.EndpointSubsets);

        await lab.Kube.CoreV1.DeleteNamespacedServiceAsync("shop", "default");
        await lab.WaitForNoKeyAsync(key);
    }
}
