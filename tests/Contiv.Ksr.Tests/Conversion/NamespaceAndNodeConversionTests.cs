using System.Text.Json;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using k8s.Models;

namespace Contiv.Ksr.Tests.Conversion;

public sealed class NamespaceAndNodeConversionTests
{
    [Fact]
    public void Namespace_record_has_name_and_labels_sorted_by_key()
    {
        var ns = new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = "team-a", Labels = new Dictionary<string, string> { ["z"] = "1", ["a"] = "2" } },
        };
        Assert.Equal("""{"name":"team-a","label":[{"key":"a","value":"2"},{"key":"z","value":"1"}]}""", ProtoJson.Format(NamespaceConversion.ToProto(ns)));
    }

    [Fact]
    public void Node_record_uses_the_original_mixed_case_field_names()
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "k8s-worker1" },
            Spec = new V1NodeSpec { PodCIDR = "10.1.2.0/24", ProviderID = "lab://k8s-worker1" },
            Status = new V1NodeStatus
            {
                Addresses =
                [
                    new V1NodeAddress { Type = "InternalIP", Address = "192.168.16.2" },
                    new V1NodeAddress { Type = "Hostname", Address = "k8s-worker1" },
                    new V1NodeAddress { Type = "SomethingNew", Address = "x" },
                    new V1NodeAddress { Type = "ExternalDNS", Address = "w1.example.org" },
                ],
                NodeInfo = new V1NodeSystemInfo
                {
                    MachineID = "m", SystemUUID = "u", BootID = "b", KernelVersion = "6.1", OsImage = "Debian",
                    ContainerRuntimeVersion = "lab://1", KubeletVersion = "v1.32.0", KubeProxyVersion = "v1.32.0",
                    OperatingSystem = "linux", Architecture = "amd64",
                },
            },
        };
        using var doc = JsonDocument.Parse(ProtoJson.Format(NodeConversion.ToProto(node)));
        var root = doc.RootElement;
        Assert.Equal("k8s-worker1", root.GetProperty("name").GetString());
        Assert.Equal("10.1.2.0/24", root.GetProperty("pod_CIDR").GetString());
        Assert.Equal("lab://k8s-worker1", root.GetProperty("provider_ID").GetString());
        var addresses = root.GetProperty("addresses").EnumerateArray().Select(a => (a.GetProperty("type").GetString(), a.GetProperty("address").GetString())).ToList();
        Assert.Equal([("NodeInternalIP", "192.168.16.2"), ("NodeHostName", "k8s-worker1"), ("NodeExternalDNS", "w1.example.org")], addresses);
        var info = root.GetProperty("node_info");
        Assert.Equal("m", info.GetProperty("machine_ID").GetString());
        Assert.Equal("u", info.GetProperty("system_UUID").GetString());
        Assert.Equal("b", info.GetProperty("boot_ID").GetString());
        Assert.Equal("6.1", info.GetProperty("kernel_version").GetString());
        Assert.Equal("Debian", info.GetProperty("os_image").GetString());
        Assert.Equal("lab://1", info.GetProperty("container_runtime_version").GetString());
        Assert.Equal("v1.32.0", info.GetProperty("kubelet_version").GetString());
        Assert.Equal("v1.32.0", info.GetProperty("KubeProxyVersion").GetString());
        Assert.Equal("linux", info.GetProperty("OperatingSystem").GetString());
        Assert.Equal("amd64", info.GetProperty("Architecture").GetString());
    }

    [Fact]
    public void Node_without_status_has_only_its_name()
    {
        Assert.Equal("""{"name":"n1"}""", ProtoJson.Format(NodeConversion.ToProto(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } })));
    }
}
