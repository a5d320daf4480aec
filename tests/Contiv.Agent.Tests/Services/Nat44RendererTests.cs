using System.Collections;
using Contiv.Agent.Config;
using Contiv.Agent.Services;
using Contiv.Agent.Services.Nat44;
using static Contiv.Agent.Tests.Services.ServiceWorld;

namespace Contiv.Agent.Tests.Services;

/// <summary>Node-wide NAT44 objects and incremental updates: only what changed is put or deleted.</summary>
public class Nat44RendererTests
{
    private readonly ServiceWorld _w = new();

    private static string[] Keys(Nat44Delta d) => [.. d.Puts.Select(p => p.Key)];

    [Fact]
    public void Node_objects_follow_spec_global_pool_identities_and_interfaces()
    {
        var d = _w.Renderer.Desired;

        Assert.Equal(new NatGlobal(Forwarding: true, DropFragments: false), d[Nat44Keys.Global]);
        Assert.Equal(new NatPoolAddress("10.1.1.254", NatPoolAddress.AnyVrf, TwiceNat: true), d["vpp/nat44/address/10.1.1.254"]);
        Assert.Equal(new NatPoolAddress("192.168.16.1", NatPoolAddress.AnyVrf, TwiceNat: false), d["vpp/nat44/address/192.168.16.1"]);
        Assert.Equal(
            ["vpp/nat44/identity-mapping/vrf/0/any/192.168.16.1", "vpp/nat44/identity-mapping/vrf/0/udp/192.168.16.1:4789", "vpp/nat44/identity-mapping/vrf/1/any/192.168.16.1"],
            d.Keys.Where(k => k.StartsWith(Nat44Keys.IdentityMappingPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        // eth1 holds the gateway's subnet: it is the default interface (SNAT on output), not a frontend.
        Assert.Equal(new NatInterfaceFeature("eth1", Inside: false, Outside: true, OutputFeature: true), d["vpp/nat44/interface/eth1"]);
        Assert.Equal(new NatInterfaceFeature("vxlanBVI", Inside: true, Outside: true, OutputFeature: false), d["vpp/nat44/interface/vxlanBVI"]);
        Assert.Equal(new NatInterfaceFeature("tap-vpp2", Inside: true, Outside: true, OutputFeature: false), d["vpp/nat44/interface/tap-vpp2"]);
    }

    [Fact]
    public void Without_gateway_there_is_no_default_interface_no_snat_pool_and_no_identities()
    {
        var w = new ServiceWorld("nodeConfig: [ { nodeName: node1, mainVPPInterface: { interfaceName: eth1 } } ]");
        var d = w.Renderer.Desired;

        Assert.Equal(new NatInterfaceFeature("eth1", Inside: false, Outside: true, OutputFeature: false), d["vpp/nat44/interface/eth1"]);
        Assert.Equal(["vpp/nat44/address/10.1.1.254"], d.Keys.Where(k => k.StartsWith(Nat44Keys.AddressPrefix, StringComparison.Ordinal)));
        Assert.DoesNotContain(d.Keys, k => k.StartsWith(Nat44Keys.IdentityMappingPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public void Nat_external_traffic_off_means_no_default_interface()
    {
        var w = new ServiceWorld(Node1Yaml + "\nnatExternalTraffic: false\n");

        Assert.Null(w.Processor.Interfaces.DefaultInterface);
        Assert.Equal(new NatInterfaceFeature("eth1", Inside: false, Outside: true, OutputFeature: false), w.Renderer.Desired["vpp/nat44/interface/eth1"]);
    }

    [Fact]
    public void Drop_fragments_follows_disable_nat_virtual_reassembly()
    {
        var w = new ServiceWorld(Node1Yaml + "\nservice: { disableNATVirtualReassembly: true }\n");

        Assert.Equal(new NatGlobal(true, DropFragments: true), w.Renderer.Desired[Nat44Keys.Global]);
    }

    [Fact]
    public void Local_pod_taps_are_frontends_and_become_backends_while_they_back_a_service()
    {
        var pod = LocalPod("10.1.1.2");
        var tap = "vpp/nat44/interface/vpp-tap-" + pod.ContainerId;
        var added = _w.Apply(_w.Processor.AddLocalPod(pod));
        Assert.Equal([tap], Keys(added));
        Assert.Equal(new NatInterfaceFeature("vpp-tap-" + pod.ContainerId, Inside: false, Outside: true, OutputFeature: false), added.Puts[0]);

        _w.Put(ClusterIp("web", "10.96.0.10", ("", 80, "TCP")));
        var backing = _w.Put(Endpoints("web", ["10.1.1.2"], ("", 8080)));
        Assert.Equal([tap, "vpp/nat44/static-mapping/tcp/10.96.0.10:80"], Keys(backing));
        Assert.True(((NatInterfaceFeature)_w.Renderer.Desired[tap]).Inside);

        var notBacking = _w.Put(Endpoints("web", ["10.1.2.7"], ("", 8080)));
        Assert.Equal([tap, "vpp/nat44/static-mapping/tcp/10.96.0.10:80"], Keys(notBacking));
        Assert.False(((NatInterfaceFeature)_w.Renderer.Desired[tap]).Inside);

        var removed = _w.Apply(_w.Processor.RemoveLocalPod(new Contiv.Agent.Ipam.PodId(pod.Name, pod.Namespace)));
        Assert.Equal([tap], removed.Deletes);
        Assert.Empty(removed.Puts);
    }

    [Fact]
    public void A_pod_wired_after_its_endpoints_appeared_is_a_backend_until_the_last_service_it_backs_goes()
    {
        _w.Put(ClusterIp("a", "10.96.0.10", ("", 80, "TCP")));
        _w.Put(Endpoints("a", ["10.1.1.2"], ("", 8080)));
        _w.Put(ClusterIp("b", "10.96.0.11", ("", 80, "TCP")));
        _w.Put(Endpoints("b", ["10.1.1.2", "10.1.2.7"], ("", 8080)));
        var pod = LocalPod("10.1.1.2");
        var tap = "vpp/nat44/interface/vpp-tap-" + pod.ContainerId;

        var wired = _w.Apply(_w.Processor.AddLocalPod(pod));
        Assert.Equal([tap], Keys(wired));
        Assert.True(((NatInterfaceFeature)_w.Renderer.Desired[tap]).Inside);

        Assert.DoesNotContain(tap, Keys(_w.Apply(_w.Processor.UpdateService(Id("a"), null))));
        Assert.True(((NatInterfaceFeature)_w.Renderer.Desired[tap]).Inside);

        var lastGone = _w.Apply(_w.Processor.UpdateEndpoints(Id("b"), null));
        Assert.Contains(tap, Keys(lastGone));
        Assert.False(((NatInterfaceFeature)_w.Renderer.Desired[tap]).Inside);
    }

    [Fact]
    public void Endpoint_churn_changes_only_that_services_mappings()
    {
        _w.Put(NodePort("web", "10.96.0.10", ("http", 80, 30080)));
        _w.Put(Endpoints("web", ["10.1.2.7"], ("http", 8080)));
        _w.Put(ClusterIp("db", "10.96.0.20", ("a", 5432, "TCP"), ("b", 5433, "TCP")));
        _w.Put(Endpoints("db", ["10.1.2.9"], ("a", 5432), ("b", 5433)));
        var before = new Dictionary<string, INatObject>(_w.Renderer.Desired);

        // One more db endpoint that only serves port "a" (its own subset).
        var eps = Endpoints("db", ["10.1.2.9"], ("a", 5432), ("b", 5433));
        eps.EndpointSubsets.Add(Subset(["10.1.2.10"], [], ("a", 5432)));
        var d = _w.Put(eps);

        Assert.Equal(["vpp/nat44/static-mapping/tcp/10.96.0.20:5432"], Keys(d));
        Assert.Empty(d.Deletes);
        Assert.Equal(["10.1.2.9", "10.1.2.10"], ((NatStaticMapping)d.Puts[0]).Locals.Select(l => l.Ip));
        foreach (var (key, value) in before.Where(kv => kv.Key != "vpp/nat44/static-mapping/tcp/10.96.0.20:5432"))
        {
            Assert.Same(value, _w.Renderer.Desired[key]);
        }
    }

    [Fact]
    public void Re_putting_an_unchanged_service_or_endpoints_changes_nothing()
    {
        _w.Put(NodePort("web", "10.96.0.10", ("http", 80, 30080)));
        _w.Put(Endpoints("web", ["10.1.2.7", "10.1.1.2"], ("http", 8080)));

        Assert.True(_w.Put(NodePort("web", "10.96.0.10", ("http", 80, 30080))).IsEmpty);
        // Same addresses in another order and split into two subsets: the same backends.
        var eps = new Contiv.Model.Ksr.Endpoints { Name = "web", Namespace = "default" };
        eps.EndpointSubsets.Add(Subset(["10.1.1.2"], [], ("http", 8080)));
        eps.EndpointSubsets.Add(Subset(["10.1.2.7"], [], ("http", 8080)));
        Assert.True(_w.Put(eps).IsEmpty);
    }

    [Fact]
    public void Deleting_endpoints_or_the_service_deletes_all_its_mappings()
    {
        _w.Put(NodePort("web", "10.96.0.10", ("http", 80, 30080)));
        _w.Put(Endpoints("web", ["10.1.2.7"], ("http", 8080)));
        var keys = _w.Mappings("web").Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(5, keys.Count); // 4 node IPs + cluster IP

        var d = _w.Apply(_w.Processor.UpdateEndpoints(Id("web"), null));
        Assert.Equal(keys, d.Deletes);
        Assert.Empty(d.Puts);

        _w.Put(Endpoints("web", ["10.1.2.7"], ("http", 8080)));
        Assert.Equal(keys, _w.Apply(_w.Processor.UpdateService(Id("web"), null)).Deletes);
    }

    [Fact]
    public void A_joining_node_adds_node_port_mappings_on_its_ips_only_and_a_leaving_node_removes_them()
    {
        _w.Put(NodePort("web", "10.96.0.10", ("http", 80, 30080)));
        _w.Put(Endpoints("web", ["10.1.2.7"], ("http", 8080)));
        _w.Put(ClusterIp("db", "10.96.0.20", ("", 5432, "TCP")));
        _w.Put(Endpoints("db", ["10.1.2.9"], ("", 5432)));

        var node3 = new Contiv.Agent.NodeSync.NodeInfo("node3", 3, ["192.168.16.3/24"], ["10.20.0.3"], string.Empty);
        var joined = _w.Apply(_w.Processor.UpdateNode("node3", node3));
        Assert.Equal(["vpp/nat44/static-mapping/tcp/10.20.0.3:30080", "vpp/nat44/static-mapping/tcp/192.168.16.3:30080"], Keys(joined));
        Assert.Empty(joined.Deletes);

        Assert.True(_w.Apply(_w.Processor.UpdateNode("node3", node3)).IsEmpty);

        var left = _w.Apply(_w.Processor.UpdateNode("node3", null));
        Assert.Equal(["vpp/nat44/static-mapping/tcp/10.20.0.3:30080", "vpp/nat44/static-mapping/tcp/192.168.16.3:30080"], left.Deletes);
        Assert.Empty(left.Puts);
    }

    [Fact]
    public void Scaling_from_one_to_three_hundred_endpoints_and_back_touches_only_the_services_mappings()
    {
        _w.Put(ClusterIp("big", "10.96.0.30", ("", 80, "TCP")));
        _w.Put(Endpoints("big", ["10.1.2.2"], ("", 8080)));
        var key = "vpp/nat44/static-mapping/tcp/10.96.0.30:80";

        var up = _w.Put(Endpoints("big", Ips("10.1.2.2", 150).Concat(Ips("10.1.3.2", 150)), ("", 8080)));
        Assert.Equal([key], Keys(up));
        Assert.Equal(300, ((NatStaticMapping)up.Puts[0]).Locals.Count);

        var down = _w.Put(Endpoints("big", ["10.1.2.2"], ("", 8080)));
        Assert.Equal([key], Keys(down));
        Assert.Equal([new NatLocal("10.1.2.2", 8080, 1, 0)], ((NatStaticMapping)down.Puts[0]).Locals);
    }

    [Fact]
    public void Two_services_on_one_external_address_the_first_by_name_wins_and_the_other_takes_over_when_it_goes()
    {
        var a = ClusterIp("a", "10.96.0.10", ("", 80, "TCP"));
        a.ExternalIps.Add("203.0.113.5");
        var b = ClusterIp("b", "10.96.0.11", ("", 80, "TCP"));
        b.ExternalIps.Add("203.0.113.5");
        var key = "vpp/nat44/static-mapping/tcp/203.0.113.5:80";

        _w.Put(b);
        _w.Put(Endpoints("b", ["10.1.2.8"], ("", 8080)));
        Assert.Equal("default/b", _w.Mapping(key).Label);
        _w.Put(a);
        var aWins = _w.Put(Endpoints("a", ["10.1.2.7"], ("", 8080)));
        Assert.Contains(key, Keys(aWins));
        Assert.Equal("default/a", _w.Mapping(key).Label);
        Assert.Equal([new Nat44MappingConflict(key, Id("a"), [Id("b")])], _w.Renderer.Conflicts, new ConflictComparer());
        Assert.DoesNotContain(_w.Mappings("b"), m => m.Key == key);

        var bTakesOver = _w.Apply(_w.Processor.UpdateService(Id("a"), null));
        Assert.Equal([key], Keys(bTakesOver));
        Assert.Equal("default/b", _w.Mapping(key).Label);
        Assert.Empty(_w.Renderer.Conflicts);
    }

    [Fact]
    public void Incremental_updates_end_in_the_same_desired_state_as_a_full_resync()
    {
        var pod = LocalPod("10.1.1.2");
        _w.Apply(_w.Processor.AddLocalPod(pod));
        var web = NodePort("web", "10.96.0.10", ("http", 80, 30080));
        _w.Put(web);
        _w.Put(Endpoints("web", ["10.1.1.2", "10.1.2.7"], ("http", 8080)));
        _w.Put(ClusterIp("db", "10.96.0.20", ("", 5432, "TCP")));
        _w.Put(Endpoints("db", ["10.1.2.9"], ("", 5432)));
        _w.Apply(_w.Processor.UpdateNode("node3", new("node3", 3, ["192.168.16.3/24"], ["10.20.0.3"], string.Empty)));
        web.ExternalTrafficPolicy = "Local";
        _w.Put(web);
        _w.Apply(_w.Processor.UpdateService(Id("db"), null));

        var fresh = new Nat44Renderer(_w.Node).Resync(_w.Processor.State);
        Assert.Equal(fresh.Keys.Order(StringComparer.Ordinal), _w.Renderer.Desired.Keys.Order(StringComparer.Ordinal));
        Assert.All(fresh, kv => Assert.Equal(kv.Value, _w.Renderer.Desired[kv.Key]));
    }

    [Fact]
    public void Service_options_come_from_the_service_section_and_the_environment()
    {
        var env = new Hashtable { ["CONTIV_service__serviceLocalEndpointWeight"] = "5" };
        var cfg = ConfigLoader.Parse("service:\n  cleanupIdleNATSessions: false\n  tcpNATSessionTimeout: 60\n", env);

        Assert.Equal((false, 60u, 5u, 5u, false), (cfg.Service.CleanupIdleNatSessions, cfg.Service.TcpNatSessionTimeout, cfg.Service.OtherNatSessionTimeout, cfg.Service.ServiceLocalEndpointWeight, cfg.Service.DisableNatVirtualReassembly));
        var defaults = ConfigLoader.Parse(null, new Hashtable()).Service;
        Assert.Equal((true, 180u, 5u, 1u), (defaults.CleanupIdleNatSessions, defaults.TcpNatSessionTimeout, defaults.OtherNatSessionTimeout, defaults.ServiceLocalEndpointWeight));
    }

    [Fact]
    public void A_local_endpoint_weight_of_zero_is_rejected_naming_the_key()
    {
        var e = Assert.Throws<ConfigException>(() => new ServiceWorld(Node1Yaml + "\nservice: { serviceLocalEndpointWeight: 0 }\n"));
        Assert.Contains("service.serviceLocalEndpointWeight", e.Message, StringComparison.Ordinal);
    }

    private sealed class ConflictComparer : IEqualityComparer<Nat44MappingConflict>
    {
        public bool Equals(Nat44MappingConflict? x, Nat44MappingConflict? y)
            => x is not null && y is not null && x.Key == y.Key && x.Winner == y.Winner && x.Losers.SequenceEqual(y.Losers);

        public int GetHashCode(Nat44MappingConflict obj) => obj.Key.GetHashCode(StringComparison.Ordinal);
    }
}
