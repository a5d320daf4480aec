using Contiv.Agent.Policy;
using Contiv.Linux;
using Contiv.Model.Ksr;
using KsrPolicy = Contiv.Model.Ksr.Policy;
using Port = Contiv.Model.Ksr.Policy.Types.Port;
using Selector = Contiv.Model.Ksr.Policy.Types.LabelSelector;

namespace Contiv.Agent.Tests.Policy;

/// <summary>KSR records for policy tests, written the way KSR reflects them.</summary>
internal static class PolicyBuilders
{
    /// <summary>This node's NAT loopback in the default addressing of node 1.</summary>
    public static readonly Ip4 NatLoopback = Ip4.Parse("10.1.1.254");

    /// <summary>Node 1's pod subnet.</summary>
    public static readonly Ip4Prefix PodSubnet = Ip4Prefix.Parse("10.1.1.0/24");

    public static Pod KsrPod(string ns, string name, string ip, params (string Key, string Value)[] labels)
    {
        var p = new Pod { Name = name, Namespace = ns, IpAddress = ip };
        foreach (var (k, v) in labels)
        {
            p.Labels[k] = v;
        }

        return p;
    }

    public static Pod WithPort(this Pod pod, string name, int port, bool udp = false)
    {
        var c = pod.Container.Count > 0 ? pod.Container[0] : new Pod.Types.Container { Name = "c" };
        if (pod.Container.Count == 0)
        {
            pod.Container.Add(c);
        }

        c.Port.Add(new Pod.Types.Container.Types.Port
        {
            Name = name,
            ContainerPort = port,
            Protocol = udp ? Pod.Types.Container.Types.Port.Types.Protocol.Udp : Pod.Types.Container.Types.Port.Types.Protocol.Tcp,
        });
        return pod;
    }

    public static Namespace Ns(string name, params (string Key, string Value)[] labels)
    {
        var n = new Namespace { Name = name };
        foreach (var (k, v) in labels)
        {
            n.Label.Add(new Namespace.Types.Label { Key = k, Value = v });
        }

        return n;
    }

    public static Selector Sel(params (string Key, string Value)[] labels)
    {
        var s = new Selector();
        foreach (var (k, v) in labels)
        {
            s.MatchLabel.Add(new KsrPolicy.Types.Label { Key = k, Value = v });
        }

        return s;
    }

    public static KsrPolicy NetPol(string ns, string name, Selector pods, KsrPolicy.Types.PolicyType type = KsrPolicy.Types.PolicyType.Default) =>
        new() { Namespace = ns, Name = name, Pods = pods, PolicyType = type };

    public static KsrPolicy Ingress(this KsrPolicy p, IEnumerable<Port> ports, params KsrPolicy.Types.Peer[] from)
    {
        var r = new KsrPolicy.Types.IngressRule();
        r.Port.AddRange(ports);
        r.From.AddRange(from);
        p.IngressRule.Add(r);
        return p;
    }

    public static KsrPolicy Egress(this KsrPolicy p, IEnumerable<Port> ports, params KsrPolicy.Types.Peer[] to)
    {
        var r = new KsrPolicy.Types.EgressRule();
        r.Port.AddRange(ports);
        r.To.AddRange(to);
        p.EgressRule.Add(r);
        return p;
    }

    public static KsrPolicy.Types.Peer PodPeer(Selector pods) => new() { Pods = pods };

    public static KsrPolicy.Types.Peer NsPeer(Selector namespaces, Selector? pods = null) => new() { Namespaces = namespaces, Pods = pods };

    public static KsrPolicy.Types.Peer IpPeer(string cidr, params string[] except)
    {
        var b = new KsrPolicy.Types.Peer.Types.IPBlock { Cidr = cidr };
        b.Except.AddRange(except);
        return new KsrPolicy.Types.Peer { IpBlock = b };
    }

    public static Port Tcp(int port, int endPort = 0) => new()
    {
        Protocol = Port.Types.Protocol.Tcp,
        Port_ = new Port.Types.PortNameOrNumber { Number = port },
        EndPort = endPort,
    };

    public static Port Udp(int port) => new() { Protocol = Port.Types.Protocol.Udp, Port_ = new Port.Types.PortNameOrNumber { Number = port } };

    public static Port Sctp(int port) => new() { Protocol = Port.Types.Protocol.Sctp, Port_ = new Port.Types.PortNameOrNumber { Number = port } };

    public static Port Named(string name, bool udp = false) => new()
    {
        Protocol = udp ? Port.Types.Protocol.Udp : Port.Types.Protocol.Tcp,
        Port_ = new Port.Types.PortNameOrNumber { Type = Port.Types.PortNameOrNumber.Types.Type.Name, Name = name },
    };

    public static Port[] NoPorts => [];

    /// <summary>A rule in the text form of <see cref="ContivRule.ToString"/>.</summary>
    public static string[] Text(IEnumerable<ContivRule>? rules) => rules is null ? ["<none>"] : [.. rules.Select(r => r.ToString())];
}
