using System.Text.Json;
using Contiv.Agent.Dataplane;
using Contiv.Model;
using Contiv.Model.Ksr;
using Contiv.Testing;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// Services on one real node: the host route of routeServiceCIDRToVPP, and a Service reflected into etcd reaching
/// the data plane as a NAT44 static mapping. The latter depends on the data plane: one with NAT44 must show the
/// mapping (in its dump and in the agent's DNAT REST dump); one without NAT44 must leave the agent healthy, with the
/// service computed but not configured. Hook for the data plane's NAT44 work: once every contiv-vpp has NAT44,
/// the second branch can go.
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
    public async Task A_service_in_etcd_becomes_a_nat44_mapping_when_the_data_plane_has_nat44()
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

        if (Nat44SupportProbe.Probe(node.Dataplane) == true)
        {
            VswitchNode.WaitUntil(
                () => node.Dump().Nat44StaticMappings.Any(m => m.ExternalIp == "10.96.0.10" && m.ExternalPort == 80 && m.Locals.Any(l => l.IpAddress == "10.1.2.7" && l.Port == 8080)),
                TimeSpan.FromSeconds(10),
                "mapping 10.96.0.10:80 -> 10.1.2.7:8080 not in the data plane; agent log:\n" + node.Tail(node.AgentLog));
            var dnat = await node.GetJsonAsync("/dump/vpp/v2/nat/dnat");
            Assert.Contains(dnat.EnumerateArray(), d => d.GetProperty("label").GetString() == "default/web");
        }
        else
        {
            VswitchNode.WaitUntil(
                () => File.ReadAllText(node.AgentLog).Contains("does not support NAT44", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10),
                "no warning about the missing NAT44; agent log:\n" + node.Tail(node.AgentLog));
            // The service handler saw the service (and rendered its mapping) without failing the event.
            await VswitchNode.WaitUntilAsync(
                async () => (await node.GetJsonAsync("/controller/event-history")).EnumerateArray()
                    .SelectMany(r => r.GetProperty("handlers").EnumerateArray())
                    .Any(h => h.GetProperty("handler").GetString() == "service"
                        && h.GetProperty("change").GetString()!.StartsWith("endpoints default/web: 1 NAT44 objects put", StringComparison.Ordinal)
                        && h.GetProperty("error").ValueKind == JsonValueKind.Null),
                TimeSpan.FromSeconds(10),
                () => "the service handler did not process endpoints default/web; agent log:\n" + node.Tail(node.AgentLog));
            var ready = await node.GetJsonAsync("/readiness");
            Assert.Equal("OK", ready.GetProperty("state").GetString());
            var dnat = await node.GetJsonAsync("/dump/vpp/v2/nat/dnat");
            Assert.Equal(JsonValueKind.Array, dnat.ValueKind);
        }
    }
}
