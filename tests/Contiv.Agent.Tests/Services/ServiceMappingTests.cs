using Contiv.Agent.Services;
using Contiv.Agent.Services.Nat44;
using static Contiv.Agent.Tests.Services.ServiceWorld;

namespace Contiv.Agent.Tests.Services;

/// <summary>Static mappings of one service against SPEC §3.2's rules (node 1, node 2 present).</summary>
public class ServiceMappingTests
{
    private readonly ServiceWorld _w = new();

    [Fact]
    public void Cluster_ip_maps_each_port_to_every_ready_backend_in_the_pod_vrf()
    {
        _w.Put(ClusterIp("web", "10.96.0.10", ("http", 80, "TCP"), ("dns", 53, "UDP")));
        _w.Put(Endpoints("web", ["10.1.1.2", "10.1.2.7"], ("http", 8080), ("dns", 5353)));

        var http = _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.10:80");
        Assert.Equal((NatProtocol.Tcp, TwiceNatMode.Self, true, "default/web", "10.1.1.254", 0u), (http.Protocol, http.TwiceNat, http.OutToInOnly, http.Label, http.TwiceNatPoolIp, http.SessionAffinity));
        Assert.Equal([new NatLocal("10.1.1.2", 8080, 1, 1), new NatLocal("10.1.2.7", 8080, 1, 1)], http.Locals);
        var dns = _w.Mapping("vpp/nat44/static-mapping/udp/10.96.0.10:53");
        Assert.Equal(NatProtocol.Udp, dns.Protocol);
        Assert.Equal(["10.1.1.2:5353", "10.1.2.7:5353"], dns.Locals.Select(l => $"{l.Ip}:{l.Port}"));
    }

    [Fact]
    public void The_example_of_docs_services_md_renders_as_documented()
    {
        var w = new ServiceWorld(Node1Yaml + "\nservice: { serviceLocalEndpointWeight: 2 }\n");
        var svc = NodePort("web", "10.96.0.10", ("http", 80, 30080));
        svc.SessionAffinity = "ClientIP";
        svc.SessionAffinityTimeout = 600;
        w.Put(svc);
        var eps = new Contiv.Model.Ksr.Endpoints { Name = "web", Namespace = "default" };
        eps.EndpointSubsets.Add(Subset(["10.1.1.2", "10.1.2.7"], ["10.1.2.8"], ("http", 8080)));
        w.Put(eps);

        var rows = w.Mappings("web");
        Assert.Equal(
            ["tcp/10.20.0.1:30080", "tcp/10.20.0.2:30080", "tcp/192.168.16.1:30080", "tcp/192.168.16.2:30080", "tcp/10.96.0.10:80"],
            rows.Select(m => m.Key[Nat44Keys.StaticMappingPrefix.Length..]));
        Assert.All(rows, m => Assert.Equal([new NatLocal("10.1.1.2", 8080, 1, 2), new NatLocal("10.1.2.7", 8080, 1, 1)], m.Locals));
        Assert.All(rows, m => Assert.Equal(600u, m.SessionAffinity));
        Assert.Equal([TwiceNatMode.Enabled, TwiceNatMode.Enabled, TwiceNatMode.Enabled, TwiceNatMode.Enabled, TwiceNatMode.Self], rows.Select(m => m.TwiceNat));
    }

    [Fact]
    public void Mappings_come_in_spec_order_node_ports_then_cluster_ip_then_external_ips()
    {
        var svc = NodePort("web", "10.96.0.10", ("http", 80, 30080), ("https", 443, 30443));
        svc.ServiceType = "LoadBalancer";
        svc.ExternalIps.Add("203.0.113.5");
        svc.LbIngressIps.Add("198.51.100.9");
        _w.Put(svc);
        _w.Put(Endpoints("web", ["10.1.2.7"], ("http", 8080), ("https", 8443)));

        Assert.Equal(
            [
                "tcp/10.20.0.1:30080", "tcp/10.20.0.1:30443", "tcp/10.20.0.2:30080", "tcp/10.20.0.2:30443",
                "tcp/192.168.16.1:30080", "tcp/192.168.16.1:30443", "tcp/192.168.16.2:30080", "tcp/192.168.16.2:30443",
                "tcp/10.96.0.10:80", "tcp/10.96.0.10:443",
                "tcp/203.0.113.5:80", "tcp/203.0.113.5:443", "tcp/198.51.100.9:80", "tcp/198.51.100.9:443",
            ],
            _w.Mappings("web").Select(m => m.Key[Nat44Keys.StaticMappingPrefix.Length..]));
    }

    [Fact]
    public void Load_balancer_ingress_ips_count_only_for_type_load_balancer()
    {
        var svc = NodePort("web", "10.96.0.10", ("http", 80, 30080));
        svc.LbIngressIps.Add("198.51.100.9");
        _w.Put(svc);
        _w.Put(Endpoints("web", ["10.1.2.7"], ("http", 8080)));

        Assert.DoesNotContain(_w.Renderer.Desired.Keys, k => k.Contains("198.51.100.9", StringComparison.Ordinal));
    }

    [Fact]
    public void Twice_nat_is_enabled_for_node_ports_and_external_ips_of_cluster_wide_services_only()
    {
        var svc = NodePort("web", "10.96.0.10", ("http", 80, 30080));
        svc.ExternalIps.Add("203.0.113.5");
        _w.Put(svc);
        _w.Put(Endpoints("web", ["10.1.2.7", "10.1.2.8"], ("http", 8080)));

        Assert.Equal(TwiceNatMode.Enabled, _w.Mapping("vpp/nat44/static-mapping/tcp/192.168.16.2:30080").TwiceNat);
        Assert.Equal(TwiceNatMode.Enabled, _w.Mapping("vpp/nat44/static-mapping/tcp/203.0.113.5:80").TwiceNat);
        Assert.Equal(TwiceNatMode.Self, _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.10:80").TwiceNat);

        svc.ExternalTrafficPolicy = "Local";
        _w.Put(svc);
        Assert.All(_w.Mappings("web"), m => Assert.Equal(TwiceNatMode.Self, m.TwiceNat));
    }

    [Fact]
    public void Backend_vrf_is_main_only_for_this_nodes_own_and_host_addresses()
    {
        _w.Put(ClusterIp("mix", "10.96.0.11", ("", 80, "TCP")));
        // Local pod, remote pod, this node's VPP IP, this node's host IP, another node's IP (host network).
        _w.Put(Endpoints("mix", ["10.1.1.2", "10.1.2.7", "192.168.16.1", "10.20.0.1", "10.20.0.2"], ("", 8080)));

        var vrfs = _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.11:80").Locals.ToDictionary(l => l.Ip, l => l.VrfId);
        Assert.Equal(1u, vrfs["10.1.1.2"]);
        Assert.Equal(1u, vrfs["10.1.2.7"]);
        Assert.Equal(0u, vrfs["192.168.16.1"]);
        Assert.Equal(0u, vrfs["10.20.0.1"]);
        Assert.Equal(1u, vrfs["10.20.0.2"]);
    }

    [Fact]
    public void Local_backends_weigh_service_local_endpoint_weight_and_remote_ones_one()
    {
        var w = new ServiceWorld(Node1Yaml + "\nservice: { serviceLocalEndpointWeight: 3 }\n");
        w.Put(ClusterIp("web", "10.96.0.10", ("", 80, "TCP")));
        w.Put(Endpoints("web", ["10.1.1.2", "10.1.1.3", "10.1.2.7", "10.20.0.1"], ("", 8080)));

        var p = w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.10:80").Locals.ToDictionary(l => l.Ip, l => l.Probability);
        Assert.Equal(3u, p["10.1.1.2"]);
        Assert.Equal(3u, p["10.1.1.3"]);
        Assert.Equal(1u, p["10.1.2.7"]);
        Assert.Equal(3u, p["10.20.0.1"]); // a host-network backend on this node is local too
    }

    [Fact]
    public void A_single_backend_has_probability_zero()
    {
        _w.Put(ClusterIp("one", "10.96.0.12", ("", 80, "TCP")));
        _w.Put(Endpoints("one", ["10.1.2.7"], ("", 8080)));

        Assert.Equal([new NatLocal("10.1.2.7", 8080, 1, 0)], _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.12:80").Locals);
    }

    [Fact]
    public void External_traffic_policy_local_keeps_only_local_backends_on_this_nodes_node_ports_but_not_on_the_cluster_ip()
    {
        var svc = NodePort("web", "10.96.0.10", ("http", 80, 30080));
        svc.ExternalTrafficPolicy = "Local";
        _w.Put(svc);
        _w.Put(Endpoints("web", ["10.1.1.2", "10.1.2.7", "10.1.2.8"], ("http", 8080)));

        foreach (var nodeIp in new[] { "192.168.16.1", "10.20.0.1" })
        {
            var m = _w.Mapping($"vpp/nat44/static-mapping/tcp/{nodeIp}:30080");
            Assert.Equal([new NatLocal("10.1.1.2", 8080, 1, 0)], m.Locals);
        }

        // Other nodes' addresses are theirs to serve with their own backends: traffic to them passes through.
        foreach (var nodeIp in new[] { "192.168.16.2", "10.20.0.2" })
        {
            Assert.DoesNotContain($"vpp/nat44/static-mapping/tcp/{nodeIp}:30080", _w.Renderer.Desired.Keys);
        }

        Assert.Equal(["10.1.1.2", "10.1.2.7", "10.1.2.8"], _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.10:80").Locals.Select(l => l.Ip));
    }

    [Fact]
    public void Node_port_with_only_remote_backends_and_local_policy_refuses_on_this_node()
    {
        var svc = NodePort("web", "10.96.0.10", ("http", 80, 30080));
        svc.ExternalTrafficPolicy = "Local";
        _w.Put(svc);
        _w.Put(Endpoints("web", ["10.1.2.7"], ("http", 8080)));

        Assert.Empty(_w.Mapping("vpp/nat44/static-mapping/tcp/192.168.16.1:30080").Locals);
    }

    [Fact]
    public void Client_ip_affinity_carries_the_timeout_and_defaults_to_three_hours()
    {
        var svc = ClusterIp("sticky", "10.96.0.13", ("", 80, "TCP"));
        svc.SessionAffinity = "ClientIP";
        svc.SessionAffinityTimeout = 60;
        _w.Put(svc);
        _w.Put(Endpoints("sticky", ["10.1.2.7", "10.1.2.8"], ("", 8080)));
        Assert.Equal(60u, _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.13:80").SessionAffinity);

        svc.SessionAffinityTimeout = 0;
        _w.Put(svc);
        Assert.Equal(10800u, _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.13:80").SessionAffinity);

        svc.SessionAffinity = "None";
        svc.SessionAffinityTimeout = 60;
        _w.Put(svc);
        Assert.Equal(0u, _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.13:80").SessionAffinity);
    }

    [Fact]
    public void Named_target_ports_resolve_per_endpoint()
    {
        _w.Put(ClusterIp("web", "10.96.0.10", ("web", 80, "TCP")));
        // Two pod templates name their port "web" differently: the endpoints controller puts them in two subsets.
        var eps = new Contiv.Model.Ksr.Endpoints { Name = "web", Namespace = "default" };
        eps.EndpointSubsets.Add(Subset(["10.1.2.7"], [], ("web", 8080)));
        eps.EndpointSubsets.Add(Subset(["10.1.2.8", "10.1.1.2"], [], ("web", 9090)));
        _w.Put(eps);

        Assert.Equal(["10.1.1.2:9090", "10.1.2.7:8080", "10.1.2.8:9090"], _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.10:80").Locals.Select(l => $"{l.Ip}:{l.Port}"));
    }

    [Fact]
    public void Not_ready_endpoints_are_not_backends()
    {
        _w.Put(ClusterIp("web", "10.96.0.10", ("", 80, "TCP")));
        var eps = new Contiv.Model.Ksr.Endpoints { Name = "web", Namespace = "default" };
        eps.EndpointSubsets.Add(Subset(["10.1.2.7"], ["10.1.2.8", "10.1.1.2"], ("", 8080)));
        _w.Put(eps);

        Assert.Equal(["10.1.2.7"], _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.10:80").Locals.Select(l => l.Ip));
    }

    [Fact]
    public void A_port_without_ready_backends_keeps_an_empty_mapping_so_that_connections_are_refused()
    {
        _w.Put(ClusterIp("web", "10.96.0.10", ("", 80, "TCP")));
        var eps = new Contiv.Model.Ksr.Endpoints { Name = "web", Namespace = "default" };
        eps.EndpointSubsets.Add(Subset([], ["10.1.2.8"], ("", 8080)));
        _w.Put(eps);

        Assert.Empty(_w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.10:80").Locals);
    }

    [Fact]
    public void A_service_without_endpoints_object_renders_nothing()
    {
        _w.Put(ClusterIp("web", "10.96.0.10", ("", 80, "TCP")));

        Assert.Empty(_w.Mappings("web"));
        Assert.DoesNotContain(_w.Renderer.Desired.Keys, k => k.StartsWith(Nat44Keys.StaticMappingPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public void Headless_sctp_ipv6_and_zero_ports_render_nothing()
    {
        _w.Put(ClusterIp("headless", "None", ("", 80, "TCP")));
        _w.Put(Endpoints("headless", ["10.1.2.7"], ("", 80)));
        _w.Put(ClusterIp("sctp", "10.96.0.20", ("", 80, "SCTP")));
        _w.Put(Endpoints("sctp", ["10.1.2.7"], ("", 80)));
        _w.Put(ClusterIp("v6", "fd00::10", ("", 80, "TCP")));
        _w.Put(Endpoints("v6", ["10.1.2.7"], ("", 80)));

        Assert.Empty(_w.Mappings("headless"));
        Assert.Empty(_w.Mappings("sctp"));
        Assert.Empty(_w.Mappings("v6"));
    }

    [Fact]
    public void Three_hundred_endpoints_are_all_backends()
    {
        _w.Put(ClusterIp("big", "10.96.0.30", ("", 80, "TCP")));
        _w.Put(Endpoints("big", Ips("10.1.2.2", 150).Concat(Ips("10.1.3.2", 150)), ("", 8080)));

        var m = _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.30:80");
        Assert.Equal(300, m.Locals.Count);
        Assert.Equal(300, m.Locals.Select(l => l.Ip).Distinct().Count());
        Assert.All(m.Locals, l => Assert.Equal(1u, l.Probability));
    }

    [Fact]
    public void A_custom_interface_marked_service_endpoint_replaces_the_pod_address()
    {
        _w.Put(ClusterIp("cnf", "10.96.0.40", ("", 80, "TCP")));
        _w.Put(Endpoints("cnf", ["10.1.2.7"], ("", 8080)));
        var alloc = new Contiv.Model.Ipam.CustomIPAllocation { PodName = PodName("10.1.2.7"), PodNamespace = "default" };
        alloc.CustomInterfaces.Add(new Contiv.Model.Ipam.CustomPodInterface { Name = "memif1", Network = "net1", IpAddress = "10.2.2.7", ServiceEndpoint = true });
        _w.Apply(_w.Processor.UpdateCustomIpam(new Contiv.Agent.Ipam.PodId(alloc.PodName, "default"), alloc));

        Assert.Equal(["10.2.2.7"], _w.Mapping("vpp/nat44/static-mapping/tcp/10.96.0.40:80").Locals.Select(l => l.Ip));
    }
}
