using Contiv.Linux;

namespace Contiv.Agent.Services.Nat44;

/// <summary>
/// The static mappings of one service (SPEC §3.2), in SPEC's order: node ports on every node IP, then the
/// cluster IP, then external and load-balancer IPs; within each, by address and then in the order of the
/// service's ports. Pure function of the service view, the node-port addresses and this node.
/// </summary>
internal static class ServiceMappings
{
    /// <summary>Renders the mappings of <paramref name="service"/>; a key appears at most once (first wins).</summary>
    public static IReadOnlyList<NatStaticMapping> Render(ContivService service, IEnumerable<Ip4> nodePortIps, ServiceNodeContext node)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(nodePortIps);
        ArgumentNullException.ThrowIfNull(node);
        var result = new List<NatStaticMapping>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        void Add(Ip4 ip, ServicePortSpec port, int externalPort, bool externallyFacing)
        {
            if (externalPort <= 0)
            {
                return;
            }

            var m = Mapping(service, ip, port, externalPort, externallyFacing, node);
            if (seen.Add(m.Key))
            {
                result.Add(m);
            }
        }

        foreach (var ip in nodePortIps)
        {
            // externalTrafficPolicy Local: only this node's own addresses. A mapping of another node's
            // address would serve traffic that merely passes through this node (e.g. from its host) with
            // this node's backends, where Kubernetes has that node serve it with its own.
            if (service.TrafficPolicy == TrafficPolicy.NodeLocal && !node.IsNodeOrHostIp(ip))
            {
                continue;
            }

            foreach (var port in service.Ports)
            {
                Add(ip, port, port.NodePort, externallyFacing: true);
            }
        }

        foreach (var ip in service.ClusterIps)
        {
            foreach (var port in service.Ports)
            {
                Add(ip, port, port.Port, externallyFacing: false);
            }
        }

        foreach (var ip in service.ExternalIps)
        {
            foreach (var port in service.Ports)
            {
                Add(ip, port, port.Port, externallyFacing: true);
            }
        }

        return result;
    }

    /// <summary>
    /// One mapping. Traffic that reaches the service through a node (node port, external or LB IP) follows
    /// externalTrafficPolicy: ClusterWide ⇒ every backend and twice-NAT (so that a backend on another node
    /// replies through this node), NodeLocal ⇒ only this node's backends and the client IP preserved. A
    /// cluster IP always balances over every backend (Kubernetes' semantics: externalTrafficPolicy does not
    /// apply to cluster-internal traffic) with self-twice-NAT for hairpin connections.
    /// </summary>
    private static NatStaticMapping Mapping(ContivService service, Ip4 externalIp, ServicePortSpec port, int externalPort, bool externallyFacing, ServiceNodeContext node)
    {
        var nodeLocal = externallyFacing && service.TrafficPolicy == TrafficPolicy.NodeLocal;
        var backends = service.BackendsOf(port.Name).Where(b => !nodeLocal || b.Local).ToList();
        var single = backends.Count == 1;
        var locals = backends.Select(b => new NatLocal(
            b.Ip.ToString(),
            b.Port,
            b.Local && b.HostNetwork ? node.MainVrfId : node.PodVrfId,
            single ? 0 : b.Local ? node.ServiceLocalEndpointWeight : 1));
        var twiceNat = externallyFacing && service.TrafficPolicy == TrafficPolicy.ClusterWide ? TwiceNatMode.Enabled : TwiceNatMode.Self;
        return new NatStaticMapping
        {
            ExternalIp = externalIp.ToString(),
            ExternalPort = externalPort,
            Protocol = port.Protocol == ServiceProtocol.Tcp ? NatProtocol.Tcp : NatProtocol.Udp,
            Locals = new ValueArray<NatLocal>(locals),
            TwiceNat = twiceNat,
            TwiceNatPoolIp = node.NatLoopback.ToString(),
            SessionAffinity = service.SessionAffinityTimeout,
            OutToInOnly = true,
            Label = service.Id.ToString(),
        };
    }
}
