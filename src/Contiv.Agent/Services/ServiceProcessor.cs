using Contiv.Agent.IpNet;
using Contiv.Agent.Ipam;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Linux;
using Contiv.Model.Ipam;
using Contiv.Model.Ksr;

namespace Contiv.Agent.Services;

/// <summary>
/// The service processor of SPEC §3.1: joins KSR Services with their Endpoints into <see cref="ContivService"/>
/// views, keeps the node-port address set (every node's IPs) and the NAT interface roles, and reports per
/// input change exactly what changed. Pure state, no I/O; called from the event loop thread only.
/// </summary>
internal sealed class ServiceProcessor
{
    /// <summary>Kubernetes' default ClientIP affinity timeout (3 h), used when the Service gives none.</summary>
    public const uint DefaultAffinityTimeoutSeconds = 10800;

    private readonly ServiceNodeContext _node;
    private readonly Dictionary<ServiceId, Service> _services = [];
    private readonly Dictionary<ServiceId, Endpoints> _endpoints = [];
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<PodId, LocalPod> _localPods = [];
    private readonly Dictionary<PodId, Ip4> _endpointRedirects = [];
    private readonly Dictionary<ServiceId, ContivService> _views = [];

    // Local pods backing each service, and per pod the number of services it backs: a pod's TAP is a NAT
    // backend while that number is positive.
    private readonly Dictionary<ServiceId, HashSet<PodId>> _localBackendPods = [];
    private readonly Dictionary<PodId, int> _backedServiceCount = [];

    // Services whose Endpoints list a pod (by targetRef), so a pod change visits only those services.
    private readonly Dictionary<PodId, HashSet<ServiceId>> _servicesOfPod = [];
    private ValueArray<Ip4> _nodePortIps;
    private NatInterfaceRoles _roles;

    /// <summary>Creates an empty processor for this node.</summary>
    public ServiceProcessor(ServiceNodeContext node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _nodePortIps = ComputeNodePortIps();
        _roles = ComputeRoles();
    }

    /// <summary>Current views by ID.</summary>
    public IReadOnlyDictionary<ServiceId, ContivService> Services => _views;

    /// <summary>Current node-port addresses.</summary>
    public ValueArray<Ip4> NodePortIps => _nodePortIps;

    /// <summary>Current NAT interface roles.</summary>
    public NatInterfaceRoles Interfaces => _roles;

    /// <summary>The whole current view.</summary>
    public ServiceState State => new([.. _views.Values.OrderBy(v => v.Id)], _nodePortIps, _roles);

    /// <summary>Forgets everything and rebuilds the view from a full snapshot (startup, healing, DB resync).</summary>
    public ServiceState Resync(
        IEnumerable<Service> services,
        IEnumerable<Endpoints> endpoints,
        IEnumerable<NodeInfo> nodes,
        IEnumerable<LocalPod> localPods,
        IEnumerable<CustomIPAllocation>? customIpam = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(localPods);
        _services.Clear();
        _endpoints.Clear();
        _nodes.Clear();
        _localPods.Clear();
        _endpointRedirects.Clear();
        _views.Clear();
        _localBackendPods.Clear();
        _backedServiceCount.Clear();
        _servicesOfPod.Clear();
        foreach (var s in services)
        {
            _services[new ServiceId(s.Namespace, s.Name)] = s;
        }

        foreach (var e in endpoints)
        {
            var id = new ServiceId(e.Namespace, e.Name);
            _endpoints[id] = e;
            IndexPods(id, null, e);
        }

        foreach (var n in nodes)
        {
            _nodes[n.Name] = n;
        }

        foreach (var p in localPods)
        {
            _localPods[new PodId(p.Name, p.Namespace)] = p;
        }

        foreach (var c in customIpam ?? [])
        {
            SetRedirect(c);
        }

        foreach (var id in _services.Keys)
        {
            Recompute(id, null);
        }

        _nodePortIps = ComputeNodePortIps();
        _roles = ComputeRoles();
        return State;
    }

    /// <summary>A Service was created, changed (<paramref name="service"/> set) or deleted (null).</summary>
    public ServiceChange UpdateService(ServiceId id, Service? service)
    {
        if (service is null)
        {
            _services.Remove(id);
        }
        else
        {
            _services[id] = service;
        }

        return RecomputeOne(id);
    }

    /// <summary>An Endpoints object was created, changed (<paramref name="endpoints"/> set) or deleted (null).</summary>
    public ServiceChange UpdateEndpoints(ServiceId id, Endpoints? endpoints)
    {
        _endpoints.TryGetValue(id, out var old);
        IndexPods(id, old, endpoints);
        if (endpoints is null)
        {
            _endpoints.Remove(id);
        }
        else
        {
            _endpoints[id] = endpoints;
        }

        return RecomputeOne(id);
    }

    /// <summary>A node joined, changed (<paramref name="state"/> set) or left (null): node ports follow its IPs.</summary>
    public ServiceChange UpdateNode(string nodeName, NodeInfo? state)
    {
        ArgumentNullException.ThrowIfNull(nodeName);
        if (state is null)
        {
            _nodes.Remove(nodeName);
        }
        else
        {
            _nodes[nodeName] = state;
        }

        var ips = ComputeNodePortIps();
        if (ips == _nodePortIps)
        {
            return ServiceChange.None;
        }

        _nodePortIps = ips;
        return new ServiceChange { NodePortIps = ips };
    }

    /// <summary>A pod was wired on this node (CNI Add): its TAP becomes a frontend, and a backend if it backs a service.</summary>
    public ServiceChange AddLocalPod(LocalPod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var id = new PodId(pod.Name, pod.Namespace);
        _localPods[id] = pod;
        return AfterLocalPodChange(id);
    }

    /// <summary>A pod was unwired from this node (CNI Delete): its TAP leaves both roles.</summary>
    public ServiceChange RemoveLocalPod(PodId pod)
    {
        _localPods.Remove(pod);
        return AfterLocalPodChange(pod);
    }

    /// <summary>
    /// A pod's custom IPAM record changed (null = removed): a custom interface marked <c>service_endpoint</c>
    /// replaces the pod's address as service backend.
    /// </summary>
    public ServiceChange UpdateCustomIpam(PodId pod, CustomIPAllocation? allocation)
    {
        _endpointRedirects.Remove(pod);
        if (allocation is not null)
        {
            SetRedirect(allocation);
        }

        var updated = new List<ContivService>();
        var removed = new List<ServiceId>();
        foreach (var id in ServicesReferencing(pod))
        {
            Recompute(id, (updated, removed));
        }

        return Finish(updated, removed);
    }

    private ServiceChange AfterLocalPodChange(PodId pod)
    {
        // Whether the pod's backends count as local pods depends on this; the views themselves do not change
        // (locality is decided by address), only the interface roles.
        var updated = new List<ContivService>();
        var removed = new List<ServiceId>();
        foreach (var id in ServicesReferencing(pod))
        {
            Recompute(id, (updated, removed));
        }

        return Finish(updated, removed);
    }

    private List<ServiceId> ServicesReferencing(PodId pod)
        => _servicesOfPod.TryGetValue(pod, out var ids) ? [.. ids] : [];

    private void IndexPods(ServiceId id, Endpoints? before, Endpoints? after)
    {
        foreach (var pod in PodsOf(before))
        {
            if (_servicesOfPod.TryGetValue(pod, out var ids) && ids.Remove(id) && ids.Count == 0)
            {
                _servicesOfPod.Remove(pod);
            }
        }

        foreach (var pod in PodsOf(after))
        {
            if (!_servicesOfPod.TryGetValue(pod, out var ids))
            {
                ids = [];
                _servicesOfPod[pod] = ids;
            }

            ids.Add(id);
        }
    }

    private static IEnumerable<PodId> PodsOf(Endpoints? endpoints)
        => endpoints is null ? [] : endpoints.EndpointSubsets.SelectMany(s => s.Addresses)
            .Where(a => a.TargetRef is { Kind: "Pod" })
            .Select(a => new PodId(a.TargetRef.Name, a.TargetRef.Namespace));

    private void SetRedirect(CustomIPAllocation c)
    {
        var iface = c.CustomInterfaces.FirstOrDefault(i => i.ServiceEndpoint && Ip4.TryParse(i.IpAddress.Split('/')[0], out _));
        if (iface is not null)
        {
            _endpointRedirects[new PodId(c.PodName, c.PodNamespace)] = Ip4.Parse(iface.IpAddress.Split('/')[0]);
        }
    }

    private ServiceChange RecomputeOne(ServiceId id)
    {
        var updated = new List<ContivService>(1);
        var removed = new List<ServiceId>(1);
        Recompute(id, (updated, removed));
        return Finish(updated, removed);
    }

    private ServiceChange Finish(List<ContivService> updated, List<ServiceId> removed)
    {
        var roles = ComputeRoles();
        NatInterfaceRoles? changedRoles = null;
        if (roles != _roles)
        {
            _roles = roles;
            changedRoles = roles;
        }

        return updated.Count == 0 && removed.Count == 0 && changedRoles is null
            ? ServiceChange.None
            : new ServiceChange { Updated = updated, Removed = removed, Interfaces = changedRoles };
    }

    private void Recompute(ServiceId id, (List<ContivService> Updated, List<ServiceId> Removed)? changes)
    {
        var localPods = new HashSet<PodId>();
        var view = _services.TryGetValue(id, out var svc) && _endpoints.TryGetValue(id, out var eps) ? Build(id, svc, eps, localPods) : null;
        SetLocalBackendPods(id, localPods);

        _views.TryGetValue(id, out var old);
        if (view is null)
        {
            if (old is not null)
            {
                _views.Remove(id);
                changes?.Removed.Add(id);
            }

            return;
        }

        if (view != old)
        {
            _views[id] = view;
            changes?.Updated.Add(view);
        }
    }

    private void SetLocalBackendPods(ServiceId id, HashSet<PodId> pods)
    {
        if (_localBackendPods.Remove(id, out var old))
        {
            foreach (var pod in old)
            {
                if (--_backedServiceCount[pod] == 0)
                {
                    _backedServiceCount.Remove(pod);
                }
            }
        }

        if (pods.Count == 0)
        {
            return;
        }

        _localBackendPods[id] = pods;
        foreach (var pod in pods)
        {
            _backedServiceCount[pod] = _backedServiceCount.GetValueOrDefault(pod) + 1;
        }
    }

    private ContivService Build(ServiceId id, Service svc, Endpoints eps, HashSet<PodId> localPods)
    {
        var ports = new List<ServicePortSpec>();
        foreach (var p in svc.Port)
        {
            var protocol = p.Protocol.ToUpperInvariant() switch
            {
                "" or "TCP" => ServiceProtocol.Tcp,
                "UDP" => ServiceProtocol.Udp,
                _ => (ServiceProtocol?)null, // SCTP: NAT44 does not translate it
            };
            if (protocol is { } proto && ports.TrueForAll(x => x.Name != p.Name))
            {
                ports.Add(new ServicePortSpec(p.Name, proto, p.Port, p.NodePort));
            }
        }

        var backends = new Dictionary<string, SortedSet<(Ip4 Ip, int Port)>>(StringComparer.Ordinal);
        foreach (var subset in eps.EndpointSubsets)
        {
            foreach (var epPort in subset.Ports)
            {
                // Ports are matched by name: a named targetPort was resolved per pod by the endpoints controller,
                // which puts pods resolving it differently into different subsets.
                if (!ports.Exists(p => p.Name == epPort.Name) || epPort.Port is <= 0 or > 65535)
                {
                    continue;
                }

                if (!backends.TryGetValue(epPort.Name, out var set))
                {
                    set = [];
                    backends[epPort.Name] = set;
                }

                foreach (var address in subset.Addresses)
                {
                    if (!Ip4.TryParse(address.Ip, out var ip))
                    {
                        continue; // IPv6 endpoints belong to the IPv6 renderer
                    }

                    if (address.TargetRef is { Kind: "Pod" } r)
                    {
                        var podId = new PodId(r.Name, r.Namespace);
                        if (_endpointRedirects.TryGetValue(podId, out var redirect))
                        {
                            ip = redirect;
                        }

                        if (_localPods.ContainsKey(podId))
                        {
                            localPods.Add(podId);
                        }
                    }

                    set.Add((ip, epPort.Port));
                }
            }
        }

        var affinity = string.Equals(svc.SessionAffinity, "ClientIP", StringComparison.Ordinal)
            ? (svc.SessionAffinityTimeout > 0 ? svc.SessionAffinityTimeout : DefaultAffinityTimeoutSeconds)
            : 0;
        var clusterIps = svc.ClusterIp is { Length: > 0 } c && c != "None" && Ip4.TryParse(c, out var cip) ? [cip] : Array.Empty<Ip4>();
        var external = svc.ExternalIps.AsEnumerable();
        if (string.Equals(svc.ServiceType, "LoadBalancer", StringComparison.Ordinal))
        {
            external = external.Concat(svc.LbIngressIps);
        }

        return new ContivService
        {
            Id = id,
            TrafficPolicy = string.Equals(svc.ExternalTrafficPolicy, "Local", StringComparison.Ordinal) ? TrafficPolicy.NodeLocal : TrafficPolicy.ClusterWide,
            SessionAffinityTimeout = affinity,
            ClusterIps = new ValueArray<Ip4>(clusterIps),
            ExternalIps = new ValueArray<Ip4>(external.Select(e => Ip4.TryParse(e, out var ip) ? (Ip4?)ip : null).OfType<Ip4>().Distinct()),
            Ports = new ValueArray<ServicePortSpec>(ports),
            Backends = backends.ToDictionary(
                kv => kv.Key,
                kv => new ValueArray<ServiceBackend>(kv.Value.Select(b => new ServiceBackend(b.Ip, b.Port, IsLocal(b.Ip), !_node.ClusterPodSubnet.Contains(b.Ip)))),
                StringComparer.Ordinal),
        };
    }

    private bool IsLocal(Ip4 ip) => _node.PodSubnetThisNode.Contains(ip) || _node.IsNodeOrHostIp(ip);

    private ValueArray<Ip4> ComputeNodePortIps()
    {
        var ips = new SortedSet<Ip4>();
        if (_node.MainNic is { } main)
        {
            ips.Add(main.Ip);
        }

        foreach (var n in _nodes.Values)
        {
            foreach (var a in n.VppIps.Concat(n.MgmtIps))
            {
                if (Ip4.TryParse(a.Split('/')[0], out var ip))
                {
                    ips.Add(ip);
                }
            }
        }

        return new ValueArray<Ip4>(ips);
    }

    private NatInterfaceRoles ComputeRoles()
    {
        var defaultIf = _node.DefaultInterface?.Name;
        var frontends = new SortedSet<string>(StringComparer.Ordinal) { IpNetConfig.VxlanBvi, IpNetConfig.HostTap, _node.MainInterface };
        frontends.UnionWith(_node.OtherNicNames);
        var backends = new SortedSet<string>(StringComparer.Ordinal) { IpNetConfig.VxlanBvi, IpNetConfig.HostTap };
        foreach (var (id, pod) in _localPods)
        {
            var tap = IpNetConfig.PodTapName(pod.ContainerId);
            frontends.Add(tap);
            if (_backedServiceCount.ContainsKey(id))
            {
                backends.Add(tap);
            }
        }

        if (defaultIf is not null)
        {
            frontends.Remove(defaultIf);
        }

        return new NatInterfaceRoles(new ValueArray<string>(frontends), new ValueArray<string>(backends), defaultIf);
    }
}
