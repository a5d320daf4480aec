using System.Collections;
using Contiv.Agent.Config;
using Contiv.Agent.Ipam;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Agent.Services;
using Contiv.Agent.Services.Nat44;
using Contiv.Linux;
using Contiv.Model.Ksr;

namespace Contiv.Agent.Tests.Services;

/// <summary>
/// Node 1 of a default cluster (SPEC §2 defaults): pod subnet 10.1.1.0/24, NAT loopback 10.1.1.254, main NIC
/// eth1 192.168.16.1/24 with gateway 192.168.16.100, host IP 10.20.0.1; node 2 at 192.168.16.2 / 10.20.0.2.
/// Builders for KSR Services and Endpoints, and a processor + renderer pair fed like the event loop would.
/// </summary>
internal sealed class ServiceWorld
{
    public const string Node1Yaml = """
        nodeConfig:
          - nodeName: node1
            mainVPPInterface: { interfaceName: eth1 }
            gateway: 192.168.16.100
        """;

    public ServiceWorld(string yaml = Node1Yaml, IEnumerable<NodeInfo>? nodes = null)
    {
        var settings = NodeSettings.For(ConfigLoader.Parse(yaml, new Hashtable()), "node1");
        var ctx = new AgentContext(settings) { NodeId = 1 };
        ctx.Addressing = new NodeAddressing(settings.Subnets, 1);
        ctx.NodeIp = ctx.Addressing.NodeIpOf(1);
        Node = ServiceNodeContext.From(ctx, ["10.20.0.1/24"]);
        Processor = new ServiceProcessor(Node);
        Renderer = new Nat44Renderer(Node);
        Renderer.Resync(Processor.Resync([], [], nodes ?? [Node1, Node2], []));
    }

    public static NodeInfo Node1 => new("node1", 1, ["192.168.16.1/24"], ["10.20.0.1"], string.Empty);

    public static NodeInfo Node2 => new("node2", 2, ["192.168.16.2/24"], ["10.20.0.2"], string.Empty);

    public ServiceNodeContext Node { get; }

    public ServiceProcessor Processor { get; }

    public Nat44Renderer Renderer { get; }

    public static ServiceId Id(string name, string ns = "default") => new(ns, name);

    public static Service ClusterIp(string name, string clusterIp, params (string Name, int Port, string Protocol)[] ports)
    {
        var s = new Service { Name = name, Namespace = "default", ClusterIp = clusterIp, ServiceType = "ClusterIP", SessionAffinity = "None", ExternalTrafficPolicy = "Cluster" };
        foreach (var p in ports)
        {
            s.Port.Add(new Service.Types.ServicePort { Name = p.Name, Port = p.Port, Protocol = p.Protocol });
        }

        return s;
    }

    public static Service NodePort(string name, string clusterIp, params (string Name, int Port, int NodePort)[] ports)
    {
        var s = new Service { Name = name, Namespace = "default", ClusterIp = clusterIp, ServiceType = "NodePort", SessionAffinity = "None", ExternalTrafficPolicy = "Cluster" };
        foreach (var p in ports)
        {
            s.Port.Add(new Service.Types.ServicePort { Name = p.Name, Port = p.Port, NodePort = p.NodePort, Protocol = "TCP" });
        }

        return s;
    }

    /// <summary>Endpoints with one subset: the ready pods (ns default) on the given ports.</summary>
    public static Endpoints Endpoints(string name, IEnumerable<string> readyIps, params (string Name, int Port)[] ports)
    {
        var e = new Endpoints { Name = name, Namespace = "default" };
        e.EndpointSubsets.Add(Subset(readyIps, [], ports));
        return e;
    }

    public static EndpointSubset Subset(IEnumerable<string> readyIps, IEnumerable<string> notReadyIps, params (string Name, int Port)[] ports)
    {
        var subset = new EndpointSubset();
        foreach (var ip in readyIps)
        {
            subset.Addresses.Add(Address(ip));
        }

        foreach (var ip in notReadyIps)
        {
            subset.NotReadyAddresses.Add(Address(ip));
        }

        foreach (var (n, p) in ports)
        {
            subset.Ports.Add(new EndpointSubset.Types.EndpointPort { Name = n, Port = p, Protocol = "TCP" });
        }

        return subset;
    }

    /// <summary>An address; pod IPs get a targetRef to pod "pod-a-b-c-d".</summary>
    public static EndpointSubset.Types.EndpointAddress Address(string ip)
    {
        var a = new EndpointSubset.Types.EndpointAddress { Ip = ip };
        if (ip.StartsWith("10.1.", StringComparison.Ordinal))
        {
            a.TargetRef = new ObjectReference { Kind = "Pod", Namespace = "default", Name = PodName(ip) };
        }

        return a;
    }

    public static string PodName(string ip) => "pod-" + ip.Replace('.', '-');

    public static LocalPod LocalPod(string ip) => new(PodName(ip), "default", "cid" + ip.Replace(".", string.Empty, StringComparison.Ordinal), "/run/netns/x", "eth0", ip);

    /// <summary>Every IP from <paramref name="first"/> on, <paramref name="count"/> of them.</summary>
    public static IEnumerable<string> Ips(string first, int count)
    {
        var start = Ip4.Parse(first);
        for (var i = 0; i < count; i++)
        {
            yield return start.Add(i).ToString();
        }
    }

    public Nat44Delta Apply(ServiceChange change) => Renderer.Update(change);

    public Nat44Delta Put(Service s) => Apply(Processor.UpdateService(new ServiceId(s.Namespace, s.Name), s));

    public Nat44Delta Put(Endpoints e) => Apply(Processor.UpdateEndpoints(new ServiceId(e.Namespace, e.Name), e));

    public IReadOnlyList<NatStaticMapping> Mappings(string name) => Renderer.MappingsOf(Id(name));

    public NatStaticMapping Mapping(string key) => (NatStaticMapping)Renderer.Desired[key];
}
