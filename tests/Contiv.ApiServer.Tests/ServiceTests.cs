using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>Cluster IP and node port allocation.</summary>
public sealed class ServiceTests
{
    private static V1Service Service(string name, string? clusterIp = null, string type = "ClusterIP") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec { Type = type, ClusterIP = clusterIp, Selector = new Dictionary<string, string> { ["app"] = name }, Ports = [new V1ServicePort { Port = 80 }] },
    };

    [Fact]
    public async Task Cluster_ips_come_from_the_configured_cidr_and_are_unique()
    {
        await using var server = await Lab.StartAsync(o => o.ServiceCidr = "10.200.0.0/24");
        var client = Lab.Client(server);
        Assert.Equal("10.200.0.1", (await client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default")).Spec.ClusterIP);
        var ips = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var svc = await client.CoreV1.CreateNamespacedServiceAsync(Service($"s{i}"), "default");
            var ip = System.Net.IPAddress.Parse(svc.Spec.ClusterIP).GetAddressBytes();
            Assert.Equal([10, 200, 0], ip[..3]);
            Assert.InRange(ip[3], 2, 254);
            Assert.True(ips.Add(svc.Spec.ClusterIP));
            Assert.Equal([svc.Spec.ClusterIP], svc.Spec.ClusterIPs);
            Assert.Equal(80, svc.Spec.Ports[0].TargetPort.Value == "80" ? 80 : -1);
            Assert.Equal("TCP", svc.Spec.Ports[0].Protocol);
        }
    }

    [Fact]
    public async Task Requested_cluster_ip_must_be_free_and_in_range_and_is_released_on_delete()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var svc = await client.CoreV1.CreateNamespacedServiceAsync(Service("a", "10.96.0.10"), "default");
        Assert.Equal("10.96.0.10", svc.Spec.ClusterIP);
        var taken = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedServiceAsync(Service("b", "10.96.0.10"), "default"));
        Assert.Equal((HttpStatusCode)422, taken.Response.StatusCode);
        Assert.Contains("provided IP is already allocated", taken.Response.Content, StringComparison.Ordinal);
        var outside = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedServiceAsync(Service("c", "192.168.0.1"), "default"));
        Assert.Contains("not in the valid range", outside.Response.Content, StringComparison.Ordinal);
        await client.CoreV1.DeleteNamespacedServiceAsync("a", "default");
        Assert.Equal("10.96.0.10", (await client.CoreV1.CreateNamespacedServiceAsync(Service("b", "10.96.0.10"), "default")).Spec.ClusterIP);
    }

    [Fact]
    public async Task Update_without_cluster_ip_keeps_it_and_changing_it_is_422()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var svc = await client.CoreV1.CreateNamespacedServiceAsync(Service("a"), "default");
        var ip = svc.Spec.ClusterIP;
        svc.Spec.ClusterIP = null;
        svc.Spec.ClusterIPs = null;
        svc.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" };
        var updated = await client.CoreV1.ReplaceNamespacedServiceAsync(svc, "a", "default");
        Assert.Equal(ip, updated.Spec.ClusterIP);
        updated.Spec.ClusterIP = "10.96.0.99";
        updated.Spec.ClusterIPs = ["10.96.0.99"];
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedServiceAsync(updated, "a", "default"));
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
    }

    [Fact]
    public async Task Headless_services_get_no_ip_and_node_port_services_get_ports_in_range()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        Assert.Equal("None", (await client.CoreV1.CreateNamespacedServiceAsync(Service("h", "None"), "default")).Spec.ClusterIP);
        var np = await client.CoreV1.CreateNamespacedServiceAsync(Service("np", type: "NodePort"), "default");
        Assert.InRange(np.Spec.Ports[0].NodePort ?? 0, 30000, 32767);
        var again = await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("""{"metadata":{"labels":{"k":"v"}}}""", V1Patch.PatchType.MergePatch), "np", "default");
        Assert.Equal(np.Spec.Ports[0].NodePort, again.Spec.Ports[0].NodePort);
    }
}
