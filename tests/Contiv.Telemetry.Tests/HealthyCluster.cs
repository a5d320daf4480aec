using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;
using Contiv.Model.Vpp;
using Contiv.Telemetry.Collection;

namespace Contiv.Telemetry.Tests;

/// <summary>
/// A constructed N-node cluster in the exact shape the agent builds (SPEC §2.3–§2.6, defaults): node i
/// has ID i, VPP IP 192.168.16.i, management IP 192.168.56.i and one pod 10.1.i.2 on TAP vpp-tap-ci.
/// Tests break one thing and look for the finding that names it.
/// </summary>
internal static class HealthyCluster
{
    public static ClusterSnapshot Build(int count = 3)
    {
        var vppNodes = new List<VppNode>();
        var k8sNodes = new List<Node>();
        var pods = new List<Pod>();
        var nodes = new List<NodeTelemetry>();
        for (uint i = 1; i <= count; i++)
        {
            vppNodes.Add(new VppNode { Id = i, Name = $"node{i}", IpAddresses = { $"192.168.16.{i}/24" } });
            k8sNodes.Add(new Node { Name = $"node{i}", Addresses = { new NodeAddress { Type = NodeAddress.Types.AddressType.NodeInternalIp, Address = $"192.168.56.{i}" } } });
            pods.Add(new Pod { Name = $"pod{i}", Namespace = "default", IpAddress = $"10.1.{i}.2", HostIpAddress = $"192.168.56.{i}" });
        }

        // A host-network pod: no TAP, no route, must not be flagged.
        pods.Add(new Pod { Name = "hostnet", Namespace = "kube-system", IpAddress = "192.168.56.1", HostIpAddress = "192.168.56.1" });

        for (uint i = 1; i <= count; i++)
        {
            nodes.Add(Node(i, (uint)count));
        }

        return new ClusterSnapshot(nodes, vppNodes, k8sNodes, pods);
    }

    private static NodeTelemetry Node(uint n, uint count)
    {
        var interfaces = new List<Interface>
        {
            new() { Name = "data0", Type = InterfaceType.AfPacket, Enabled = true, Vrf = 0, IpAddresses = { $"192.168.16.{n}/24" } },
            new() { Name = "tap-vpp2", Type = InterfaceType.Tap, Enabled = true, Vrf = 0, IpAddresses = { $"172.30.{n}.1/24" } },
            new() { Name = "podGwLoop", Type = InterfaceType.Loopback, Enabled = true, Vrf = 1, IpAddresses = { $"10.1.{n}.1/24" } },
            new() { Name = "vxlanBVI", Type = InterfaceType.Loopback, Enabled = true, Vrf = 1, PhysAddress = $"12:2b:00:00:00:{n:x2}", IpAddresses = { $"192.168.30.{n}/24" } },
            new() { Name = $"vpp-tap-c{n}", Type = InterfaceType.Tap, Enabled = true, Vrf = 1, UnnumberedTo = "podGwLoop" },
        };
        var bd = new BridgeDomain { Id = 1, Name = "vxlanBD", Forward = true, Interfaces = { new BridgeDomainMember { Name = "vxlanBVI", BridgedVirtualInterface = true, SplitHorizonGroup = 1 } } };
        var fibs = new List<L2FibEntry>();
        var arps = new List<ArpEntry> { new() { Interface = $"vpp-tap-c{n}", IpAddress = $"10.1.{n}.2", PhysAddress = "02:fe:00:00:00:01", Static = true } };
        var routes = new List<Route>
        {
            new() { VrfId = 1, DstNetwork = $"10.1.{n}.2/32", NextHopAddr = $"10.1.{n}.2", OutInterface = $"vpp-tap-c{n}" },
            new() { VrfId = 0, DstNetwork = "10.1.0.0/16", Type = RouteType.InterVrf, ViaVrfId = 1 },
            new() { VrfId = 0, DstNetwork = "172.30.0.0/16", Type = RouteType.InterVrf, ViaVrfId = 1 },
            new() { VrfId = 1, DstNetwork = "0.0.0.0/0", Type = RouteType.InterVrf, ViaVrfId = 0 },
            new() { VrfId = 1, DstNetwork = $"172.30.{n}.0/24", Type = RouteType.InterVrf, ViaVrfId = 0 },
            new() { VrfId = 1, DstNetwork = "10.1.0.0/16", Type = RouteType.Drop },
            new() { VrfId = 1, DstNetwork = "172.30.0.0/16", Type = RouteType.Drop },
            new() { VrfId = 0, DstNetwork = $"192.168.56.{n}/32", NextHopAddr = $"172.30.{n}.2", OutInterface = "tap-vpp2" },
        };
        for (uint m = 1; m <= count; m++)
        {
            if (m == n)
            {
                continue;
            }

            var tunnel = $"vxlan-default-{m}";
            interfaces.Add(new Interface { Name = tunnel, Type = InterfaceType.VxlanTunnel, Enabled = true, Vxlan = new VxlanLink { SrcAddress = $"192.168.16.{n}", DstAddress = $"192.168.16.{m}", Vni = 10 } });
            bd.Interfaces.Add(new BridgeDomainMember { Name = tunnel, SplitHorizonGroup = 1 });
            fibs.Add(new L2FibEntry { BridgeDomainId = 1, PhysAddress = $"12:2b:00:00:00:{m:x2}", OutgoingInterface = tunnel, Static = true });
            arps.Add(new ArpEntry { Interface = "vxlanBVI", IpAddress = $"192.168.30.{m}", PhysAddress = $"12:2b:00:00:00:{m:x2}", Static = true });
            routes.Add(new Route { VrfId = 1, DstNetwork = $"10.1.{m}.0/24", NextHopAddr = $"192.168.30.{m}", OutInterface = "vxlanBVI" });
            routes.Add(new Route { VrfId = 1, DstNetwork = $"172.30.{m}.0/24", NextHopAddr = $"192.168.30.{m}", OutInterface = "vxlanBVI" });
            routes.Add(new Route { VrfId = 1, DstNetwork = $"192.168.56.{m}/32", NextHopAddr = $"192.168.30.{m}", OutInterface = "vxlanBVI" });
            routes.Add(new Route { VrfId = 0, DstNetwork = $"192.168.56.{m}/32", Type = RouteType.InterVrf, ViaVrfId = 1 });
        }

        _ = count;
        return new NodeTelemetry
        {
            Name = $"node{n}",
            Id = n,
            VppIp = $"192.168.16.{n}/24",
            ManagementIp = $"192.168.56.{n}",
            AgentUrl = $"http://127.0.0.1:{9990 + n}",
            LivenessState = "OK",
            Ipam = new AgentIpam { NodeId = n, NodeName = $"node{n}", NodeIp = $"192.168.16.{n}", PodSubnetThisNode = $"10.1.{n}.0/24", VppHostNetwork = $"172.30.{n}.0/24" },
            Interfaces = interfaces,
            BridgeDomains = [bd],
            L2Fibs = fibs,
            Arps = arps,
            Routes = routes,
            LinuxInterfaces = [new LinuxInterfaceInfo("vpp1", "host", [$"172.30.{n}.2/24"])],
        };
    }
}
