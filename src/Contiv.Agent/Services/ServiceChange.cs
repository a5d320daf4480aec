using Contiv.Linux;

namespace Contiv.Agent.Services;

/// <summary>
/// What one input change (a Service, an Endpoints object, a node, a local pod) changed in the service view.
/// Only services whose <see cref="ContivService"/> really differs are listed, so endpoint churn of one
/// service touches that service alone.
/// </summary>
internal sealed record ServiceChange
{
    /// <summary>The no-op change.</summary>
    public static ServiceChange None { get; } = new();

    /// <summary>Services created or changed (their new view).</summary>
    public IReadOnlyList<ContivService> Updated { get; init; } = [];

    /// <summary>Services gone (Service or Endpoints deleted).</summary>
    public IReadOnlyList<ServiceId> Removed { get; init; } = [];

    /// <summary>The new node-port address set when it changed (a node joined, left or changed IPs); else null.</summary>
    public ValueArray<Ip4>? NodePortIps { get; init; }

    /// <summary>The new interface roles when they changed; else null.</summary>
    public NatInterfaceRoles? Interfaces { get; init; }

    /// <summary>True when nothing changed.</summary>
    public bool IsEmpty => Updated.Count == 0 && Removed.Count == 0 && NodePortIps is null && Interfaces is null;
}

/// <summary>The whole service view: what a full resync renders.</summary>
/// <param name="Services">Every service with both a Service and an Endpoints object, ordered by ID.</param>
/// <param name="NodePortIps">Every node's VPP and management IPv4 addresses, sorted: node ports listen on each.</param>
/// <param name="Interfaces">NAT interface roles.</param>
internal sealed record ServiceState(IReadOnlyList<ContivService> Services, ValueArray<Ip4> NodePortIps, NatInterfaceRoles Interfaces);
