using System.Text.Json;
using Contiv.Ksr.Conversion;
using Contiv.Model;
using k8s.Models;

namespace Contiv.Ksr.Tests.Conversion;

public sealed class ServiceConversionTests
{
    private static V1Service SampleService() => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "web",
            NamespaceProperty = "shop",
            Annotations = new Dictionary<string, string> { ["contivpp.io/service-local"] = "true", ["other"] = "x" },
        },
        Spec = new V1ServiceSpec
        {
            Type = "LoadBalancer",
            ClusterIP = "10.96.0.10",
            Selector = new Dictionary<string, string> { ["app"] = "web" },
            Ports =
            [
                new V1ServicePort { Name = "http", Protocol = "TCP", Port = 80, TargetPort = 8080, NodePort = 30080 },
                new V1ServicePort { Name = "named", Protocol = "UDP", Port = 53, TargetPort = "dns" },
                new V1ServicePort { Name = "plain", Port = 443 },
            ],
            ExternalIPs = ["192.0.2.10"],
            LoadBalancerIP = "192.0.2.20",
            LoadBalancerSourceRanges = ["192.0.2.0/24"],
            ExternalTrafficPolicy = "Local",
            HealthCheckNodePort = 31000,
            SessionAffinity = "ClientIP",
        },
        Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Ip = "192.0.2.30" }, new V1LoadBalancerIngress { Hostname = "lb.example.org" }] } },
    };

    [Fact]
    public void Service_record_has_the_original_field_names_and_values()
    {
        using var doc = JsonDocument.Parse(ProtoJson.Format(ServiceConversion.ToProto(SampleService())));
        var root = doc.RootElement;
        Assert.Equal("web", root.GetProperty("name").GetString());
        Assert.Equal("shop", root.GetProperty("namespace").GetString());
        Assert.Equal("10.96.0.10", root.GetProperty("cluster_ip").GetString());
        Assert.Equal("LoadBalancer", root.GetProperty("service_type").GetString());
        Assert.Equal("web", root.GetProperty("selector").GetProperty("app").GetString());
        Assert.Equal(["192.0.2.10"], root.GetProperty("external_ips").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["192.0.2.30"], root.GetProperty("lb_ingress_ips").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ClientIP", root.GetProperty("session_affinity").GetString());
        Assert.Equal(10800, root.GetProperty("session_affinity_timeout").GetInt32());
        Assert.Equal("192.0.2.20", root.GetProperty("loadbalancer_ip").GetString());
        Assert.Equal(["192.0.2.0/24"], root.GetProperty("loadbalancer_source_ranges").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Local", root.GetProperty("external_traffic_policy").GetString());
        Assert.Equal(31000, root.GetProperty("health_check_node_port").GetInt32());
        Assert.Equal("true", root.GetProperty("annotations").GetProperty("contivpp.io/service-local").GetString());
        Assert.False(root.GetProperty("annotations").TryGetProperty("other", out _));

        var ports = root.GetProperty("port").EnumerateArray().ToList();
        Assert.Equal(3, ports.Count);
        Assert.Equal("http", ports[0].GetProperty("name").GetString());
        Assert.Equal("TCP", ports[0].GetProperty("protocol").GetString());
        Assert.Equal(80, ports[0].GetProperty("port").GetInt32());
        Assert.Equal(30080, ports[0].GetProperty("node_port").GetInt32());
        Assert.Equal(8080, ports[0].GetProperty("target_port").GetProperty("int_val").GetInt32());
        Assert.False(ports[0].GetProperty("target_port").TryGetProperty("type", out _)); // NUMBER is the default
        Assert.Equal("STRING", ports[1].GetProperty("target_port").GetProperty("type").GetString());
        Assert.Equal("dns", ports[1].GetProperty("target_port").GetProperty("string_val").GetString());
        Assert.Equal("TCP", ports[2].GetProperty("protocol").GetString()); // protocol defaults to TCP
        Assert.Equal(443, ports[2].GetProperty("target_port").GetProperty("int_val").GetInt32()); // absent targetPort = port
    }

    [Fact]
    public void Session_affinity_timeout_is_taken_from_the_config_and_only_for_ClientIP()
    {
        var svc = SampleService();
        svc.Spec.SessionAffinityConfig = new V1SessionAffinityConfig { ClientIP = new V1ClientIPConfig { TimeoutSeconds = 60 } };
        Assert.Equal(60u, ServiceConversion.ToProto(svc).SessionAffinityTimeout);
        svc.Spec.SessionAffinity = "None";
        Assert.Equal(0u, ServiceConversion.ToProto(svc).SessionAffinityTimeout);
    }

    [Fact]
    public void Target_port_out_of_range_is_rejected_naming_service_and_value()
    {
        var svc = SampleService();
        svc.Spec.Ports[0].TargetPort = 70000;
        var e = Assert.Throws<ConversionException>(() => ServiceConversion.ToProto(svc));
        Assert.Contains("shop/web", e.Message, StringComparison.Ordinal);
        Assert.Contains("70000", e.Message, StringComparison.Ordinal);
    }
}
