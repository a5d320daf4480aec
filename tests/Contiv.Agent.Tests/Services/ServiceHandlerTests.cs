using Contiv.Agent.Dataplane;
using Contiv.Agent.Kube;
using Contiv.Agent.NodeSync;
using Contiv.Agent.Services;
using Contiv.Agent.Services.Nat44;
using Contiv.Model.Ksr;
using static Contiv.Agent.Tests.Services.ServiceWorld;

namespace Contiv.Agent.Tests.Services;

/// <summary>
/// The service handler in the event loop: KSR, node and pod events become NAT44 operations of the data plane through
/// the scheduler and the real NAT44 descriptors — exactly the changed objects, in dependency order, nothing on an
/// unchanged resync.
/// </summary>
public sealed class ServiceHandlerTests : IDisposable
{
    private readonly ServiceHandlerWorld _w = new();

    public void Dispose() => _w.Dispose();

    private static Endpoints Web(params string[] ips) => Endpoints("web", ips, ("http", 8080));

    private static Service WebService(int port = 80) => ClusterIp("web", "10.96.0.10", ("http", port, "TCP"));

    private async Task ResyncWithWebAsync()
    {
        _w.Seed(KubeResources.Service, ServiceHandlerWorld.ServiceKey("web"), WebService());
        _w.Seed(KubeResources.Endpoints, ServiceHandlerWorld.EndpointsKey("web"), Web("10.1.1.2", "10.1.2.7"));
        await _w.ResyncAsync();
        Assert.Empty(_w.Dataplane.Violations);
        _w.Dataplane.Clear();
    }

    [Fact]
    public async Task Startup_resync_configures_the_node_objects_and_every_mapping_after_what_they_depend_on()
    {
        _w.Seed(KubeResources.Service, ServiceHandlerWorld.ServiceKey("web"), WebService());
        _w.Seed(KubeResources.Endpoints, ServiceHandlerWorld.EndpointsKey("web"), Web("10.1.1.2", "10.1.2.7"));

        await _w.ResyncAsync();

        Assert.Empty(_w.Dataplane.Violations);
        var nat = _w.Dataplane.NatLog;
        Assert.Equal(
            [
                "put nat-addr 10.1.1.254", "put nat-addr 192.168.16.1", "put nat-global",
                "put nat-identity vrf/0/any/192.168.16.1:0", "put nat-identity vrf/0/udp/192.168.16.1:4789", "put nat-identity vrf/1/any/192.168.16.1:0",
                "put nat-if eth1 out output", "put nat-if tap-vpp2 in out", "put nat-if vxlanBVI in out",
                "put nat-static tcp/10.96.0.10:80 [10.1.1.2:8080/1, 10.1.2.7:8080/1]",
            ],
            nat.Order(StringComparer.Ordinal));
        Assert.True(nat.IndexOf("put nat-global") < nat.IndexOf("put nat-addr 10.1.1.254"), "pool address before the global settings");
        Assert.True(nat.IndexOf("put nat-addr 10.1.1.254") < nat.FindIndex(s => s.StartsWith("put nat-static", StringComparison.Ordinal)), "mapping before its twice-NAT address");
        var mapping = _w.Dataplane.StaticMapping("tcp/10.96.0.10:80")!;
        Assert.Equal(("default/web", Model.Vpp.Nat44TwiceNat.Self, "10.1.1.254", true), (mapping.Tag, mapping.TwiceNat, mapping.TwiceNatPoolIp, mapping.Out2InOnly));
    }

    [Fact]
    public async Task A_service_appears_with_its_endpoints_changes_port_and_goes_away()
    {
        await ResyncWithWebAsync();

        await _w.PutAsync(ClusterIp("api", "10.96.0.20", ("grpc", 9000, "TCP")));
        Assert.Empty(_w.Dataplane.NatLog); // no Endpoints yet: no service view

        await _w.PutAsync(Endpoints("api", ["10.1.2.9"], ("grpc", 9001)));
        Assert.Equal(["put nat-static tcp/10.96.0.20:9000 [10.1.2.9:9001/0]"], _w.Dataplane.NatLog);

        _w.Dataplane.Clear();
        await _w.PutAsync(ClusterIp("api", "10.96.0.20", ("grpc", 9100, "TCP")));
        Assert.Equal(["delete nat-static tcp/10.96.0.20:9000", "put nat-static tcp/10.96.0.20:9100 [10.1.2.9:9001/0]"], _w.Dataplane.NatLog.Order(StringComparer.Ordinal));

        _w.Dataplane.Clear();
        await _w.ChangeAsync(KubeResources.Service, ServiceHandlerWorld.ServiceKey("api"), null);
        Assert.Equal(["delete nat-static tcp/10.96.0.20:9100"], _w.Dataplane.NatLog);
        Assert.Null(_w.Dataplane.StaticMapping("tcp/10.96.0.20:9100"));
        Assert.NotNull(_w.Dataplane.StaticMapping("tcp/10.96.0.10:80")); // the other service is untouched
        Assert.Empty(_w.Dataplane.Violations);
    }

    [Fact]
    public async Task Endpoint_churn_puts_only_the_mappings_whose_backends_changed()
    {
        var svc = ClusterIp("multi", "10.96.0.30", ("a", 80, "TCP"), ("b", 53, "UDP"));
        await ResyncWithWebAsync();
        await _w.PutAsync(svc);
        var eps = new Endpoints { Name = "multi", Namespace = "default" };
        eps.EndpointSubsets.Add(Subset(["10.1.2.3"], [], ("a", 8080), ("b", 5353)));
        await _w.PutAsync(eps);
        _w.Dataplane.Clear();

        // A second ready backend that serves only port a, and a not-ready one for both.
        var churned = eps.Clone();
        churned.EndpointSubsets.Add(Subset(["10.1.2.4"], ["10.1.2.5"], ("a", 8080)));
        await _w.PutAsync(churned);

        Assert.Equal(["put nat-static tcp/10.96.0.30:80 [10.1.2.3:8080/1, 10.1.2.4:8080/1]"], _w.Dataplane.NatLog);

        // The same endpoints re-reflected (another resource version, subsets reordered): nothing at all.
        _w.Dataplane.Clear();
        var reordered = new Endpoints { Name = "multi", Namespace = "default" };
        reordered.EndpointSubsets.Add(churned.EndpointSubsets[1]);
        reordered.EndpointSubsets.Add(churned.EndpointSubsets[0]);
        await _w.PutAsync(reordered);
        Assert.Empty(_w.Dataplane.Log);
    }

    [Fact]
    public async Task A_joining_node_adds_the_node_port_mappings_on_its_addresses_and_a_leaving_one_removes_them()
    {
        await ResyncWithWebAsync();
        await _w.PutAsync(NodePort("np", "10.96.0.40", ("http", 80, 30080)));
        await _w.PutAsync(Endpoints("np", ["10.1.2.7"], ("http", 8080)));
        Assert.NotNull(_w.Dataplane.StaticMapping("tcp/192.168.16.2:30080"));
        _w.Dataplane.Clear();

        var node3 = new NodeInfo("node3", 3, ["192.168.16.3/24"], ["10.20.0.3"], string.Empty);
        await _w.NodeAsync("node3", null, node3);

        Assert.Equal(
            ["put nat-static tcp/10.20.0.3:30080 [10.1.2.7:8080/0]", "put nat-static tcp/192.168.16.3:30080 [10.1.2.7:8080/0]"],
            _w.Dataplane.NatLog.Order(StringComparer.Ordinal));
        Assert.Equal(TwiceNatMode.Enabled, Nat44TwiceNatOf("tcp/192.168.16.3:30080"));

        _w.Dataplane.Clear();
        await _w.NodeAsync("node3", node3, null);
        Assert.Equal(["delete nat-static tcp/10.20.0.3:30080", "delete nat-static tcp/192.168.16.3:30080"], _w.Dataplane.NatLog.Order(StringComparer.Ordinal));
        Assert.Empty(_w.Dataplane.Violations);
    }

    [Fact]
    public async Task A_restarted_agent_over_an_unchanged_data_plane_performs_no_operation()
    {
        await ResyncWithWebAsync();
        await _w.PutAsync(NodePort("np", "10.96.0.40", ("http", 80, 30080)));
        await _w.PutAsync(Endpoints("np", ["10.1.1.2", "10.1.2.7", "10.1.2.8"], ("http", 8080)));
        var kube = _w.Kube.Clone();
        _w.Dispose();

        using var restarted = new ServiceHandlerWorld(_w.Dataplane);
        foreach (var resource in kube.Resources)
        {
            foreach (var (k, v) in kube[resource])
            {
                restarted.Seed(resource, k, v);
            }
        }

        _w.Dataplane.Clear();
        await restarted.ResyncAsync();

        Assert.Empty(_w.Dataplane.Log);
    }

    [Fact]
    public async Task A_resync_after_a_restart_removes_what_disappeared_meanwhile_and_keeps_the_rest()
    {
        await ResyncWithWebAsync();
        await _w.PutAsync(ClusterIp("gone", "10.96.0.50", ("http", 80, "TCP")));
        await _w.PutAsync(Endpoints("gone", ["10.1.2.7"], ("http", 8080)));
        _w.Dispose();

        // Restarted with the state of etcd as it is now: "gone" was deleted while the agent was down.
        using var restarted = new ServiceHandlerWorld(_w.Dataplane);
        restarted.Seed(KubeResources.Service, ServiceHandlerWorld.ServiceKey("web"), WebService());
        restarted.Seed(KubeResources.Endpoints, ServiceHandlerWorld.EndpointsKey("web"), Web("10.1.1.2", "10.1.2.7"));
        _w.Dataplane.Clear();
        await restarted.ResyncAsync();

        Assert.Equal(["delete nat-static tcp/10.96.0.50:80"], _w.Dataplane.Log);
    }

    [Fact]
    public async Task A_local_pod_is_a_nat_frontend_from_its_add_and_a_backend_while_it_backs_a_service()
    {
        await ResyncWithWebAsync();

        // 10.1.1.2 backs web: its TAP and its NAT features travel in one batch, the TAP first.
        await _w.AddPodAsync("10.1.1.2");
        var tap = ServiceHandlerWorld.TapOf("10.1.1.2");
        var batch = Assert.Single(_w.Dataplane.Batches).Select(RecordingDataplane.Describe).ToList();
        Assert.Equal([$"put if {tap}", $"put nat-if {tap} in out"], batch);

        // 10.1.1.3 backs nothing: a frontend only (pods reach services through it).
        _w.Dataplane.Clear();
        await _w.AddPodAsync("10.1.1.3");
        Assert.Equal([$"put nat-if {ServiceHandlerWorld.TapOf("10.1.1.3")} out"], _w.Dataplane.NatLog);

        // Once it becomes a backend, its TAP is also inside.
        _w.Dataplane.Clear();
        await _w.PutAsync(Web("10.1.1.2", "10.1.1.3", "10.1.2.7"));
        Assert.Equal(
            [$"put nat-if {ServiceHandlerWorld.TapOf("10.1.1.3")} in out", "put nat-static tcp/10.96.0.10:80 [10.1.1.2:8080/1, 10.1.1.3:8080/1, 10.1.2.7:8080/1]"],
            _w.Dataplane.NatLog.Order(StringComparer.Ordinal));

        // Delete: the NAT features go before the TAP (the data plane never sees a feature on a missing interface).
        _w.Dataplane.Clear();
        await _w.DeletePodAsync("10.1.1.2");
        Assert.Equal([$"delete nat-if {tap}", $"delete if {tap}"], _w.Dataplane.Log);
        Assert.Null(_w.Dataplane.NatInterface(tap));
        Assert.Empty(_w.Dataplane.Violations);
    }

    [Fact]
    public async Task A_failed_pod_add_leaves_no_nat_feature_behind_and_the_handler_forgets_the_pod()
    {
        await ResyncWithWebAsync();
        var tap = ServiceHandlerWorld.TapOf("10.1.1.2");
        _w.Dataplane.FailPuts.Add("if " + tap);

        await Assert.ThrowsAnyAsync<Exception>(() => _w.AddPodAsync("10.1.1.2"));

        Assert.Null(_w.Dataplane.NatInterface(tap));
        Assert.DoesNotContain(_w.Handler.Processor!.Interfaces.Frontends, f => f == tap);
        Assert.False(_w.Handler.Renderer!.Desired.ContainsKey(Nat44Keys.Interface(tap)));

        // The retried add works and configures the pod's features once.
        _w.Dataplane.FailPuts.Clear();
        _w.Dataplane.Clear();
        await _w.AddPodAsync("10.1.1.2");
        Assert.Equal([$"put nat-if {tap} in out"], _w.Dataplane.NatLog);
    }

    private TwiceNatMode Nat44TwiceNatOf(string key)
        => Nat44Protos.FromProto(_w.Dataplane.StaticMapping(key)!.TwiceNat);
}
