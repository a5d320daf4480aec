using System.Text.Json;
using Contiv.Model;
using Contiv.Model.Ksr;
using Contiv.Testing;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// Services on one real node: the host route of routeServiceCIDRToVPP, and a Service reflected into etcd reaching
/// the data plane as a NAT44 static mapping (in its dump and in the agent's DNAT REST dump).
/// </summary>
[Collection("integration")]
public sealed class ServiceIntegrationTests : SingleNodeTestBase
{
    protected override string AgentConfig => """
        routeServiceCIDRToVPP: true
        ipamConfig:
          podSubnetCIDR: 10.1.0.0/16
          podSubnetOneNodePrefixLen: 24
          serviceCIDR: 10.96.0.0/12
        controller:
          delayRetry: 200ms
          maxRetryAttempts: 2
        """;

    [RootFact]
    public void The_node_host_routes_the_service_range_into_the_data_plane_and_the_root_namespace_is_untouched()
    {
        var node = Node!;
        VswitchNode.WaitUntil(
            () => Shell.Run($"ip -n {node.Netns} -4 route show 10.96.0.0/12").StdOut.Contains("via 172.30.1.1 dev vpp1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            $"no route 10.96.0.0/12 via 172.30.1.1 dev vpp1 in {node.Netns}: {Shell.Run($"ip -n {node.Netns} -4 route").StdOut}");
        Assert.DoesNotContain("vpp1", Shell.Run("ip -4 route show 10.96.0.0/12").StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task A_service_in_etcd_becomes_a_nat44_mapping_in_the_data_plane()
    {
        var node = Node!;
        var svc = new Service { Name = "web", Namespace = "default", ClusterIp = "10.96.0.10", ServiceType = "ClusterIP", SessionAffinity = "None" };
        svc.Port.Add(new Service.Types.ServicePort { Name = "http", Port = 80, Protocol = "TCP" });
        var eps = new Endpoints { Name = "web", Namespace = "default" };
        var subset = new EndpointSubset();
        subset.Addresses.Add(new EndpointSubset.Types.EndpointAddress { Ip = "10.1.2.7" });
        subset.Ports.Add(new EndpointSubset.Types.EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" });
        eps.EndpointSubsets.Add(subset);
        await Etcd!.PutAsync(Keys.Service("web", "default"), ProtoJson.Format(svc));
        await Etcd.PutAsync(Keys.Endpoints("web", "default"), ProtoJson.Format(eps));

        VswitchNode.WaitUntil(
            () => node.Dump().Nat44StaticMappings.Any(m => m.ExternalIp == "10.96.0.10" && m.ExternalPort == 80 && m.Locals.Any(l => l.IpAddress == "10.1.2.7" && l.Port == 8080)),
            TimeSpan.FromSeconds(10),
            "mapping 10.96.0.10:80 -> 10.1.2.7:8080 not in the data plane; agent log:\n" + node.Tail(node.AgentLog));
        var dnat = await node.GetJsonAsync("/dump/vpp/v2/nat/dnat");
        Assert.Contains(dnat.EnumerateArray(), d => d.GetProperty("label").GetString() == "default/web");
    }
}
