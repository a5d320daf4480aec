using Contiv.Linux;

namespace Contiv.Agent.Services;

/// <summary>Which backends serve traffic that enters through a node (SPEC §3.1 TrafficPolicy).</summary>
internal enum TrafficPolicy
{
    /// <summary><c>externalTrafficPolicy: Cluster</c>: every ready backend, client source NATed.</summary>
    ClusterWide,

    /// <summary><c>externalTrafficPolicy: Local</c>: only this node's backends, client IP preserved.</summary>
    NodeLocal,
}

/// <summary>L4 protocol of a service port that NAT44 can translate.</summary>
internal enum ServiceProtocol
{
    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,
}

/// <summary>One port of a service (SPEC §3.1 "Ports keyed by port name").</summary>
/// <param name="Name">Port name; empty for the single unnamed port.</param>
/// <param name="Protocol">Protocol.</param>
/// <param name="Port">Service (ClusterIP/external IP) port; 0 = none.</param>
/// <param name="NodePort">Node port; 0 = none.</param>
internal sealed record ServicePortSpec(string Name, ServiceProtocol Protocol, int Port, int NodePort);

/// <summary>One ready endpoint of one service port.</summary>
/// <param name="Ip">Backend address (a custom interface's address when the pod asked for it in custom IPAM).</param>
/// <param name="Port">Target port, resolved per endpoint (a named targetPort may differ between pods).</param>
/// <param name="Local">On this node: inside this node's pod subnet, or this node's own or host IP.</param>
/// <param name="HostNetwork">Outside the cluster pod subnet (a host-network pod or a node).</param>
internal sealed record ServiceBackend(Ip4 Ip, int Port, bool Local, bool HostNetwork)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Ip}:{Port}{(Local ? " local" : string.Empty)}{(HostNetwork ? " host" : string.Empty)}";
}

/// <summary>
/// The renderer-neutral view of one Kubernetes Service joined with its Endpoints (SPEC §3.1). Exists only
/// when both objects exist. Immutable with value equality, so an unchanged re-computation is detectable.
/// </summary>
internal sealed record ContivService
{
    /// <summary>Namespace and name.</summary>
    public required ServiceId Id { get; init; }

    /// <summary>External traffic policy.</summary>
    public TrafficPolicy TrafficPolicy { get; init; }

    /// <summary><c>sessionAffinity: ClientIP</c> timeout in seconds; 0 = no affinity.</summary>
    public uint SessionAffinityTimeout { get; init; }

    /// <summary>Cluster IPs (none for headless services); IPv4 only.</summary>
    public ValueArray<Ip4> ClusterIps { get; init; }

    /// <summary><c>externalIPs</c> plus, for type LoadBalancer, the ingress IPs of its status; IPv4 only.</summary>
    public ValueArray<Ip4> ExternalIps { get; init; }

    /// <summary>Ports in the order of the service spec.</summary>
    public ValueArray<ServicePortSpec> Ports { get; init; }

    /// <summary>Ready backends per port name, sorted by address and port.</summary>
    public required IReadOnlyDictionary<string, ValueArray<ServiceBackend>> Backends { get; init; }

    /// <summary>True when the service has at least one node port.</summary>
    public bool HasNodePort => Ports.Any(p => p.NodePort > 0);

    /// <summary>Backends of <paramref name="portName"/> (empty when none is ready).</summary>
    public ValueArray<ServiceBackend> BackendsOf(string portName) => Backends.TryGetValue(portName, out var b) ? b : ValueArray<ServiceBackend>.Empty;

    /// <inheritdoc/>
    public bool Equals(ContivService? other)
        => other is not null && Id == other.Id && TrafficPolicy == other.TrafficPolicy && SessionAffinityTimeout == other.SessionAffinityTimeout
            && ClusterIps == other.ClusterIps && ExternalIps == other.ExternalIps && Ports == other.Ports
            && Backends.Count == other.Backends.Count
            && Backends.All(kv => other.Backends.TryGetValue(kv.Key, out var b) && b == kv.Value);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Id, TrafficPolicy, SessionAffinityTimeout, ClusterIps, ExternalIps, Ports, Backends.Count);
}
