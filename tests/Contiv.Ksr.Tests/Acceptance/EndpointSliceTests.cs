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
}
