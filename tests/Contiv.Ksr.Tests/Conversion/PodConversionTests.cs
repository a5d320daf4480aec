using System.Text.Json;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using Contiv.Model.Ksr;
using k8s.Models;

namespace Contiv.Ksr.Tests.Conversion;

public sealed class PodConversionTests
{
    private static V1Pod SamplePod() => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "web-1",
            NamespaceProperty = "default",
            Labels = new Dictionary<string, string> { ["zone"] = "a", ["app"] = "web" },
            Annotations = new Dictionary<string, string>
            {
                ["contivpp.io/custom-if"] = "memif1/memif",
                ["contivpp.io.other"] = "x",
                ["kubectl.kubernetes.io/last-applied-configuration"] = "{}",
            },
        },
        Spec = new V1PodSpec
        {
            NodeName = "node-1",
            Containers =
            [
                new V1Container
                {
                    Name = "nginx",
                    Ports =
                    [
                        new V1ContainerPort { Name = "http", ContainerPort = 80 },
                        new V1ContainerPort { Name = "dns", ContainerPort = 53, Protocol = "UDP", HostPort = 5353, HostIP = "127.0.0.1" },
                        new V1ContainerPort { Name = "sig", ContainerPort = 9, Protocol = "SCTP" },
                    ],
                },
                new V1Container { Name = "sidecar" },
            ],
        },
        Status = new V1PodStatus { PodIP = "10.1.1.2", HostIP = "192.168.16.1" },
    };

    [Fact]
    public void Pod_record_has_the_original_field_names_and_values()
    {
        var json = ProtoJson.Format(PodConversion.ToProto(SamplePod()));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("web-1", root.GetProperty("name").GetString());
        Assert.Equal("default", root.GetProperty("namespace").GetString());
        Assert.Equal("10.1.1.2", root.GetProperty("ip_address").GetString());
        Assert.Equal("192.168.16.1", root.GetProperty("host_ip_address").GetString());

        // labels both as the sorted list and as the map
        var list = root.GetProperty("label").EnumerateArray().Select(l => (l.GetProperty("key").GetString(), l.GetProperty("value").GetString())).ToList();
        Assert.Equal([("app", "web"), ("zone", "a")], list);
        Assert.Equal("web", root.GetProperty("labels").GetProperty("app").GetString());
        Assert.Equal("a", root.GetProperty("labels").GetProperty("zone").GetString());

        var containers = root.GetProperty("container").EnumerateArray().ToList();
        Assert.Equal(2, containers.Count);
        Assert.Equal("nginx", containers[0].GetProperty("name").GetString());
        var ports = containers[0].GetProperty("port").EnumerateArray().ToList();
        Assert.Equal(2, ports.Count); // SCTP is not representable and left out
        Assert.Equal("http", ports[0].GetProperty("name").GetString());
        Assert.Equal(80, ports[0].GetProperty("container_port").GetInt32());
        Assert.False(ports[0].TryGetProperty("protocol", out _)); // TCP = default value, omitted
        Assert.Equal("UDP", ports[1].GetProperty("protocol").GetString());
        Assert.Equal(5353, ports[1].GetProperty("host_port").GetInt32());
        Assert.Equal("127.0.0.1", ports[1].GetProperty("host_ip_address").GetString());
        Assert.False(containers[1].TryGetProperty("port", out _));
    }

    [Fact]
    public void Only_contivpp_annotations_are_kept()
    {
        var pod = PodConversion.ToProto(SamplePod());
        Assert.Equal(["contivpp.io.other", "contivpp.io/custom-if"], pod.Annotations.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("memif1/memif", pod.Annotations["contivpp.io/custom-if"]);
    }

    [Fact]
    public void Pod_without_status_has_no_addresses()
    {
        var pod = SamplePod();
        pod.Status = null;
        using var doc = JsonDocument.Parse(ProtoJson.Format(PodConversion.ToProto(pod)));
        Assert.False(doc.RootElement.TryGetProperty("ip_address", out _));
        Assert.False(doc.RootElement.TryGetProperty("host_ip_address", out _));
    }

    [Fact]
    public void Pod_without_name_is_rejected_naming_the_problem()
    {
        var pod = SamplePod();
        pod.Metadata.Name = null;
        var e = Assert.Throws<ConversionException>(() => PodConversion.ToProto(pod));
        Assert.Contains("metadata.name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_pod_converts_to_equal_records_regardless_of_label_order()
    {
        var a = SamplePod();
        var b = SamplePod();
        b.Metadata.Labels = new Dictionary<string, string> { ["app"] = "web", ["zone"] = "a" };
        Assert.Equal(PodConversion.ToProto(a), PodConversion.ToProto(b));
        Assert.Equal(ProtoJson.Format(PodConversion.ToProto(a)), ProtoJson.Format(PodConversion.ToProto(b)));
    }

    [Fact]
    public void Sfc_record_holds_pod_and_node_and_only_sfc_true_pods_qualify()
    {
        var pod = SamplePod();
        Assert.False(PodConversion.IsSfcPod(pod));
        pod.Metadata.Labels["sfc"] = "true";
        Assert.True(PodConversion.IsSfcPod(pod));
        Assert.Equal("""{"pod":"web-1","node":"node-1"}""", ProtoJson.Format(PodConversion.ToSfc(pod)));
        pod.Metadata.Labels["sfc"] = "false";
        Assert.False(PodConversion.IsSfcPod(pod));
    }

    [Fact]
    public void Record_round_trips_through_the_codec()
    {
        var record = PodConversion.ToProto(SamplePod());
        Assert.Equal(record, ProtoJson.Parse<Pod>(ProtoJson.Format(record)));
    }
}
