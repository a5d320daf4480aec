using Contiv.Model.Vpp;

namespace Contiv.Telemetry.Collection;

/// <summary>
/// What was collected about one Contiv node: its identity from etcd (VppNode + k8s Node) and, when its
/// agent answered, the agent's IPAM and scheduler dumps. A null list means "not collected" (validators
/// that need it skip the node); an empty list means "collected, nothing there".
/// </summary>
public sealed class NodeTelemetry
{
    /// <summary>Node name (k8s and Contiv).</summary>
    public required string Name { get; init; }

    /// <summary>Contiv node ID (from the VppNode record; 0 when the node has none).</summary>
    public uint Id { get; init; }

    /// <summary>The node's VPP IP with prefix length ("" when unknown).</summary>
    public string VppIp { get; init; } = string.Empty;

    /// <summary>The node's management IP (k8s InternalIP, else ExternalIP; "" when unknown).</summary>
    public string ManagementIp { get; init; } = string.Empty;

    /// <summary>Base URL of the node's agent REST API ("" when unknown).</summary>
    public string AgentUrl { get; init; } = string.Empty;

    /// <summary>Why the agent could not be polled (null when it answered).</summary>
    public string? CollectionError { get; set; }

    /// <summary>The agent's <c>/liveness</c> state ("OK", "ERROR"; null when not polled).</summary>
    public string? LivenessState { get; set; }

    /// <summary><c>/contiv/v1/ipam</c>.</summary>
    public AgentIpam? Ipam { get; set; }

    /// <summary><c>vpp-interface</c> dump.</summary>
    public IReadOnlyList<Interface>? Interfaces { get; set; }

    /// <summary><c>vpp-bridge-domain</c> dump.</summary>
    public IReadOnlyList<BridgeDomain>? BridgeDomains { get; set; }

    /// <summary><c>vpp-l2-fib</c> dump.</summary>
    public IReadOnlyList<L2FibEntry>? L2Fibs { get; set; }

    /// <summary><c>vpp-arp</c> dump (static entries).</summary>
    public IReadOnlyList<ArpEntry>? Arps { get; set; }

    /// <summary><c>vpp-route</c> dump.</summary>
    public IReadOnlyList<Route>? Routes { get; set; }

    /// <summary><c>linux-interface</c> dump.</summary>
    public IReadOnlyList<LinuxInterfaceInfo>? LinuxInterfaces { get; set; }

    /// <summary>The VPP IP without its prefix length ("" when unknown).</summary>
    public string VppAddress => VppIp.Split('/')[0];

    /// <summary>True when the agent answered and every dump was collected.</summary>
    public bool HasData => CollectionError is null && Ipam is not null && Interfaces is not null && BridgeDomains is not null
        && L2Fibs is not null && Arps is not null && Routes is not null;
}
