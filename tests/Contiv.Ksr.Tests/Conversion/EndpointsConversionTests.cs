using System.Text.Json;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using k8s.Models;

namespace Contiv.Ksr.Tests.Conversion;

public sealed class EndpointsConversionTests
{
    private static V1ObjectReference PodRef(string name) => new() { Kind = "Pod", NamespaceProperty = "shop", Name = name, Uid = "uid-" + name, ResourceVersion = "7" };

    [Fact]
    public void Endpoints_record_has_subsets_with_ready_and_not_ready_addresses_and_ports()
    {
        var ep = new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop" },
            Subsets =
            [
                new V1EndpointSubset
                {
                    Addresses = [new V1EndpointAddress { Ip = "10.1.1.2", Hostname = "web-0", NodeName = "node-1", TargetRef = PodRef("web-0") }],
                    NotReadyAddresses = [new V1EndpointAddress { Ip = "10.1.2.3", NodeName = "node-2" }],
                    Ports = [new Corev1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
                },
            ],
        };
        using var doc = JsonDocument.Parse(ProtoJson.Format(EndpointsConversion.ToProto(ep)));
        var root = doc.RootElement;
        Assert.Equal("web", root.GetProperty("name").GetString());
        Assert.Equal("shop", root.GetProperty("namespace").GetString());
        var subset = Assert.Single(root.GetProperty("endpoint_subsets").EnumerateArray().ToList());
        var ready = Assert.Single(subset.GetProperty("addresses").EnumerateArray().ToList());
        Assert.Equal("10.1.1.2", ready.GetProperty("ip").GetString());
        Assert.Equal("web-0", ready.GetProperty("host_name").GetString());
        Assert.Equal("node-1", ready.GetProperty("node_name").GetString());
        var targetRef = ready.GetProperty("target_ref");
        Assert.Equal("Pod", targetRef.GetProperty("kind").GetString());
        Assert.Equal("shop", targetRef.GetProperty("namespace").GetString());
        Assert.Equal("web-0", targetRef.GetProperty("name").GetString());
        Assert.Equal("uid-web-0", targetRef.GetProperty("uid").GetString());
        Assert.Equal("7", targetRef.GetProperty("resource_version").GetString());
        var notReady = Assert.Single(subset.GetProperty("not_ready_addresses").EnumerateArray().ToList());
        Assert.Equal("10.1.2.3", notReady.GetProperty("ip").GetString());
        var port = Assert.Single(subset.GetProperty("ports").EnumerateArray().ToList());
        Assert.Equal("http", port.GetProperty("name").GetString());
        Assert.Equal(8080, port.GetProperty("port").GetInt32());
        Assert.Equal("TCP", port.GetProperty("protocol").GetString());
    }

    private static V1EndpointSlice Slice(string name, string service, string[] ports, params (string Ip, bool? Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "shop", Labels = new Dictionary<string, string> { [EndpointsConversion.ServiceNameLabel] = service } },
        AddressType = "IPv4",
        Ports = ports.Select(p => new Discoveryv1EndpointPort { Name = p, Port = p == "http" ? 8080 : 8443, Protocol = "TCP" }).ToList(),
        Endpoints = endpoints.Select(e => new V1Endpoint
        {
            Addresses = [e.Ip],
            Conditions = e.Ready is null ? null : new V1EndpointConditions { Ready = e.Ready },
            NodeName = "node-1",
            TargetRef = PodRef("p-" + e.Ip),
        }).ToList(),
    };

    [Fact]
    public void Slices_of_one_service_merge_into_the_endpoints_record_independent_of_slice_order()
    {
        var a = Slice("web-abc", "web", ["http"], ("10.1.1.3", true), ("10.1.1.9", false));
        var b = Slice("web-def", "web", ["http"], ("10.1.1.2", null));
        var c = Slice("web-ghi", "web", ["http", "https"], ("10.1.1.4", true));
        var merged = EndpointsConversion.FromSlices("shop", "web", [a, b, c]);
        Assert.Equal(merged, EndpointsConversion.FromSlices("shop", "web", [c, b, a]));
        Assert.Equal("web", merged.Name);
        Assert.Equal("shop", merged.Namespace);
        Assert.Equal(2, merged.EndpointSubsets.Count);
        var http = merged.EndpointSubsets.Single(s => s.Ports.Count == 1);
        Assert.Equal(["10.1.1.2", "10.1.1.3"], http.Addresses.Select(x => x.Ip)); // absent ready = ready
        Assert.Equal(["10.1.1.9"], http.NotReadyAddresses.Select(x => x.Ip));
        Assert.Equal("node-1", http.Addresses[0].NodeName);
        Assert.Equal("p-10.1.1.2", http.Addresses[0].TargetRef.Name);
        var both = merged.EndpointSubsets.Single(s => s.Ports.Count == 2);
        Assert.Equal(["10.1.1.4"], both.Addresses.Select(x => x.Ip));
    }

    [Fact]
    public void Slice_record_equals_the_record_of_the_equivalent_Endpoints_object()
    {
        var ep = new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop" },
            Subsets =
            [
                new V1EndpointSubset
                {
                    Addresses = [new V1EndpointAddress { Ip = "10.1.1.2", NodeName = "node-1", TargetRef = PodRef("p-10.1.1.2") }],
                    Ports = [new Corev1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
                },
            ],
        };
        var fromSlices = EndpointsConversion.FromSlices("shop", "web", [Slice("web-1", "web", ["http"], ("10.1.1.2", true))]);
        Assert.Equal(ProtoJson.Format(EndpointsConversion.ToProto(ep)), ProtoJson.Format(fromSlices));
    }

    [Fact]
    public void Slice_service_comes_from_the_service_name_label()
    {
        Assert.Equal(("shop", "web"), EndpointsConversion.ServiceOf(Slice("web-1", "web", ["http"])));
        var orphan = Slice("x", "web", ["http"]);
        orphan.Metadata.Labels.Clear();
        Assert.Null(EndpointsConversion.ServiceOf(orphan));
    }
}
