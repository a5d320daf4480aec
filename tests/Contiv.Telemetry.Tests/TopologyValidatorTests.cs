using Contiv.Model.Ksr;
using Contiv.Model.Vpp;
using Contiv.Telemetry.Collection;
using Contiv.Telemetry.Report;

namespace Contiv.Telemetry.Tests;

/// <summary>The validators of SPEC §1.4 over constructed node states: healthy is OK, each fault is named.</summary>
public class TopologyValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private static TelemetryReport Run(ClusterSnapshot s) => TopologyValidator.Validate(s, Now);

    private static string Lines(TelemetryReport r, string node) => string.Join("\n", r.Reports[node]);

    [Fact]
    public void A_healthy_three_node_cluster_validates_OK()
    {
        var r = Run(HealthyCluster.Build());

        Assert.True(r.IsOk, r.ToText());
        Assert.Equal("validation OK", r.Summary);
        Assert.Equal(["validation OK"], r.Reports[TelemetryReport.GlobalKey]);
        Assert.Equal(["node1", "node2", "node3", "global"], r.Reports.Keys);
        Assert.Equal(new ReportNode(2, "192.168.16.2/24", "192.168.56.2", "node2"), r.Nodes[1]);
        Assert.Equal("global: validation OK\n", r.ToText());
    }

    [Fact]
    public void A_deleted_vxlan_tunnel_is_named_on_both_ends()
    {
        var s = HealthyCluster.Build();
        var n1 = s.Find("node1")!;
        n1.Interfaces = [.. n1.Interfaces!.Where(i => i.Name != "vxlan-default-2")];
        n1.BridgeDomains![0].Interfaces.Remove(n1.BridgeDomains[0].Interfaces.Single(m => m.Name == "vxlan-default-2"));

        var r = Run(s);

        Assert.False(r.IsOk);
        Assert.Contains("VXLAN-BD: no VXLAN tunnel to node node2 (192.168.16.2); expected vxlan-default-2 in vxlanBD", Lines(r, "node1"), StringComparison.Ordinal);
        Assert.Contains("L2-FIB: L2 FIB entry 12:2b:00:00:00:02 (node node2) points to vxlan-default-2, expected the VXLAN tunnel to 192.168.16.2 (which does not exist)", Lines(r, "node1"), StringComparison.Ordinal);
        Assert.Contains("VXLAN-BD: node node1 has no VXLAN tunnel back to this node (192.168.16.2) for vxlan-default-1", Lines(r, "node2"), StringComparison.Ordinal);
        Assert.Empty(r.Reports["node3"]);
        Assert.Equal($"{r.ErrorCount} errors found", r.Summary);
    }

    [Fact]
    public void A_tunnel_outside_the_bridge_domain_is_named()
    {
        var s = HealthyCluster.Build();
        var bd = s.Find("node3")!.BridgeDomains![0];
        bd.Interfaces.Remove(bd.Interfaces.Single(m => m.Name == "vxlan-default-1"));

        var r = Run(s);

        Assert.Equal("node3: VXLAN-BD: VXLAN tunnel vxlan-default-1 to node node1 (192.168.16.1) is not a member of vxlanBD\nglobal: 1 error found\n", r.ToText());
    }

    [Fact]
    public void A_removed_static_arp_entry_for_a_remote_bvi_is_named()
    {
        var s = HealthyCluster.Build();
        var n2 = s.Find("node2")!;
        n2.Arps = [.. n2.Arps!.Where(a => a.IpAddress != "192.168.30.3")];

        var r = Run(s);

        Assert.Equal("node2: IP-ARP: static ARP entry for node node3's BVI 192.168.30.3 -> 12:2b:00:00:00:03 missing on vxlanBVI\nglobal: 1 error found\n", r.ToText());
    }

    [Fact]
    public void A_stale_arp_entry_and_a_wrong_mac_are_named()
    {
        var s = HealthyCluster.Build();
        var n1 = s.Find("node1")!;
        n1.Arps = [.. n1.Arps!, new ArpEntry { Interface = "vxlanBVI", IpAddress = "192.168.30.9", PhysAddress = "12:2b:00:00:00:09", Static = true }];
        n1.Arps.Single(a => a.IpAddress == "192.168.30.2").PhysAddress = "12:2b:00:00:00:07";

        var text = Run(s).ToText();

        Assert.Contains("node1: IP-ARP: stale ARP entry 192.168.30.9 -> 12:2b:00:00:00:09 on vxlanBVI: no live remote node has this BVI address", text, StringComparison.Ordinal);
        Assert.Contains("node1: IP-ARP: ARP entry 192.168.30.2 on vxlanBVI has MAC 12:2b:00:00:00:07, node node2's BVI MAC is 12:2b:00:00:00:02", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_removed_pod_arp_entry_is_named_with_the_pod()
    {
        var s = HealthyCluster.Build();
        var n3 = s.Find("node3")!;
        n3.Arps = [.. n3.Arps!.Where(a => a.IpAddress != "10.1.3.2")];

        Assert.Equal("node3: IP-ARP: static ARP entry for pod default/pod3 10.1.3.2 missing on its TAP\nglobal: 1 error found\n", Run(s).ToText());
    }

    [Fact]
    public void A_missing_and_a_dangling_l2_fib_entry_are_named()
    {
        var s = HealthyCluster.Build();
        var n2 = s.Find("node2")!;
        n2.L2Fibs = [.. n2.L2Fibs!.Where(f => f.PhysAddress != "12:2b:00:00:00:01"), new L2FibEntry { BridgeDomainId = 1, PhysAddress = "12:2b:00:00:00:05", OutgoingInterface = "vxlan-default-3", Static = true }];

        var text = Run(s).ToText();

        Assert.Contains("node2: L2-FIB: static L2 FIB entry for node node1's BVI MAC 12:2b:00:00:00:01 missing in vxlanBD", text, StringComparison.Ordinal);
        Assert.Contains("node2: L2-FIB: dangling L2 FIB entry 12:2b:00:00:00:05 -> vxlan-default-3: no live remote node has this BVI MAC", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_removed_pod_route_is_named_with_the_pod_and_its_address()
    {
        var s = HealthyCluster.Build();
        var n1 = s.Find("node1")!;
        n1.Routes = [.. n1.Routes!.Where(r => r.DstNetwork != "10.1.1.2/32")];

        var text = Run(s).ToText();

        Assert.Contains("node1: L3-FIB: route to pod default/pod1 10.1.1.2/32 missing in VRF 1 (expected via 10.1.1.2 dev vpp-tap-…)", text, StringComparison.Ordinal);
        Assert.Contains("node1: POD: dangling TAP vpp-tap-c1: no pod on this node uses it", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_remote_routes_and_an_unexpected_route_are_named()
    {
        var s = HealthyCluster.Build();
        var n3 = s.Find("node3")!;
        n3.Routes = [.. n3.Routes!.Where(r => r.DstNetwork != "10.1.2.0/24"), new Route { VrfId = 1, DstNetwork = "10.9.9.0/24", NextHopAddr = "192.168.30.2", OutInterface = "vxlanBVI" }];
        n3.Routes.Single(r => r.DstNetwork == "10.1.0.0/16" && r.VrfId == 0).ViaVrfId = 0;

        var text = Run(s).ToText();

        Assert.Contains("node3: L3-FIB: route to node node2's pod subnet 10.1.2.0/24 missing in VRF 1 (expected via 192.168.30.2 dev vxlanBVI)", text, StringComparison.Ordinal);
        Assert.Contains("node3: L3-FIB: unexpected route 10.9.9.0/24 via 192.168.30.2 dev vxlanBVI in VRF 1: no rule accounts for it", text, StringComparison.Ordinal);
        Assert.Contains("node3: L3-FIB: route to the pod network 10.1.0.0/16 in VRF 0 is 10.1.0.0/16 lookup in VRF 0, expected lookup in VRF 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_agent_is_named_and_its_node_is_not_validated_further()
    {
        var s = HealthyCluster.Build();
        var n2 = s.Find("node2")!;
        n2.CollectionError = "node node2: agent at http://127.0.0.1:9992/liveness: Connection refused";
        n2.Interfaces = null;

        var r = Run(s);

        Assert.Equal("node2: AGENT: node node2: agent at http://127.0.0.1:9992/liveness: Connection refused\nglobal: 1 error found\n", r.ToText());
    }

    [Fact]
    public void Kubernetes_and_contiv_nodes_must_correspond()
    {
        var s = HealthyCluster.Build(2);
        var extraK8s = new Node { Name = "node9", Addresses = { new NodeAddress { Type = NodeAddress.Types.AddressType.NodeInternalIp, Address = "192.168.56.9" } } };
        s = s with { K8sNodes = [.. s.K8sNodes.Where(k => k.Name != "node2"), extraK8s] };

        var text = Run(s).ToText();

        Assert.Contains("node2: K8S-NODE: Contiv node node2 (ID 2) has no Kubernetes node", text, StringComparison.Ordinal);
        Assert.Contains("node9: K8S-NODE: Kubernetes node node9 has no Contiv node (no allocatedIDs record)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Pods_on_no_node_outside_their_subnet_or_without_a_tap_are_named()
    {
        var s = HealthyCluster.Build();
        var lost = new Pod { Name = "lost", Namespace = "default", IpAddress = "10.1.7.2", HostIpAddress = "192.168.56.7" };
        var misplaced = new Pod { Name = "misplaced", Namespace = "default", IpAddress = "10.1.2.9", HostIpAddress = "192.168.56.1" };
        s = s with { Pods = [.. s.Pods, lost, misplaced] };
        var n1 = s.Find("node1")!;
        n1.Routes = [.. n1.Routes!, new Route { VrfId = 1, DstNetwork = "10.1.2.9/32", NextHopAddr = "10.1.2.9", OutInterface = "vpp-tap-gone" }];
        n1.Arps = [.. n1.Arps!, new ArpEntry { Interface = "vpp-tap-c1", IpAddress = "10.1.2.9", PhysAddress = "02:fe:00:00:00:09", Static = true }];

        var text = Run(s).ToText();

        Assert.Contains("global: POD: pod default/lost: host IP 192.168.56.7 is no node's address", text, StringComparison.Ordinal);
        Assert.Contains("node1: POD: pod default/misplaced: IP 10.1.2.9 is outside this node's pod subnet 10.1.1.0/24", text, StringComparison.Ordinal);
        Assert.Contains("node1: POD: pod default/misplaced 10.1.2.9: its TAP vpp-tap-gone does not exist", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dangling_tunnel_to_an_unknown_node_is_named()
    {
        var s = HealthyCluster.Build(2);
        var n1 = s.Find("node1")!;
        n1.Interfaces = [.. n1.Interfaces!, new Interface { Name = "vxlan-default-5", Type = InterfaceType.VxlanTunnel, Vxlan = new VxlanLink { SrcAddress = "192.168.16.1", DstAddress = "192.168.16.5", Vni = 10 } }];
        n1.BridgeDomains![0].Interfaces.Add(new BridgeDomainMember { Name = "vxlan-default-5", SplitHorizonGroup = 1 });

        Assert.Equal("node1: VXLAN-BD: dangling VXLAN tunnel vxlan-default-5 to 192.168.16.5 in vxlanBD: no live remote node has that IP\nglobal: 1 error found\n", Run(s).ToText());
    }

    [Fact]
    public void Agent_endpoints_parse_and_fall_back_to_the_management_ip()
    {
        var o = new AgentClientOptions { Endpoints = AgentClientOptions.ParseEndpoints("node1=http://127.0.0.1:9991/, node2=https://127.0.0.1:9992"), UseHttps = true };

        Assert.Equal("http://127.0.0.1:9991", o.BaseUrlFor("node1", "192.168.56.1"));
        Assert.Equal("https://192.168.56.3:9999", o.BaseUrlFor("node3", "192.168.56.3"));
        Assert.Equal(string.Empty, o.BaseUrlFor("node4", string.Empty));
        var e = Assert.Throws<ArgumentException>(() => AgentClientOptions.ParseEndpoints("node1=ftp://x"));
        Assert.Contains("node1=ftp://x", e.Message, StringComparison.Ordinal);
    }
}
