using Contiv.Store;
using Contiv.Telemetry.Collection;
using Contiv.Telemetry.Report;
using Contiv.Telemetry.Validation;

namespace Contiv.Telemetry;

/// <summary>
/// Topology validation (SPEC §1.4): checks every vSwitch's live state against what it must be and
/// produces a <see cref="TelemetryReport"/>. Entry points: <see cref="RunAsync"/> (collect and validate
/// one round: what contiv-crd's timer and <c>contiv-netctl validate</c> call) and
/// <see cref="Validate"/> (validate an already collected <see cref="ClusterSnapshot"/>).
/// </summary>
public static class TopologyValidator
{
    private static readonly INodeValidator[] Validators = [new IpArpValidator(), new VxlanBdValidator(), new L2FibValidator(), new PodValidator(), new L3FibValidator()];

    /// <summary>Collects the cluster's state (etcd + every agent's REST API) and validates it.</summary>
    /// <param name="etcd">etcd holding the KSR and nodesync records (owned by the caller).</param>
    /// <param name="agents">How agents are reached.</param>
    /// <param name="state">Which scheduler state to validate (SB: the data plane as it is).</param>
    /// <param name="time">Clock for <see cref="TelemetryReport.UpdatedAt"/> (system clock when null).</param>
    /// <param name="cancellationToken">Cancels the round.</param>
    public static async Task<TelemetryReport> RunAsync(IEtcdBroker etcd, AgentClientOptions agents, ValidationState state = ValidationState.SB, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        using var client = new AgentClient(agents);
        var snapshot = await new ClusterCollector(etcd, client).CollectAsync(state, cancellationToken).ConfigureAwait(false);
        return Validate(snapshot, (time ?? TimeProvider.System).GetUtcNow());
    }

    /// <summary>Validates a collected snapshot.</summary>
    public static TelemetryReport Validate(ClusterSnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var report = new ReportBuilder(snapshot);
        ValidateNodes(snapshot, report);
        foreach (var node in snapshot.Nodes)
        {
            if (node.CollectionError is { } error)
            {
                report.Error(node.Name, "AGENT", error);
                continue;
            }

            if (!node.HasData)
            {
                continue; // no Contiv node ID: the K8S-NODE findings say why
            }

            var context = new ValidationContext(snapshot, node);
            foreach (var v in Validators)
            {
                v.Validate(context, report);
            }
        }

        return report.Build(now);
    }

    /// <summary>k8s-node info and the pods' host IPs (SPEC §1.4): k8s nodes and Contiv nodes correspond 1:1.</summary>
    private static void ValidateNodes(ClusterSnapshot snapshot, ReportBuilder report)
    {
        const string prefix = "K8S-NODE";
        foreach (var v in snapshot.VppNodes)
        {
            if (!snapshot.K8sNodes.Any(k => k.Name == v.Name))
            {
                report.Error(v.Name, prefix, $"Contiv node {v.Name} (ID {v.Id}) has no Kubernetes node");
            }

            if (v.IpAddresses.Count == 0 && v.IpAddress.Length == 0)
            {
                report.Error(v.Name, prefix, $"Contiv node {v.Name} (ID {v.Id}) has no VPP IP address");
            }
        }

        foreach (var k in snapshot.K8sNodes)
        {
            if (!snapshot.VppNodes.Any(v => v.Name == k.Name))
            {
                report.Error(k.Name, prefix, $"Kubernetes node {k.Name} has no Contiv node (no allocatedIDs record)");
            }

            if (ClusterCollector.ManagementIp(k).Length == 0)
            {
                report.Error(k.Name, prefix, $"Kubernetes node {k.Name} has no InternalIP or ExternalIP");
            }
        }

        foreach (var p in snapshot.Pods)
        {
            if (p.HostIpAddress.Length > 0 && !snapshot.Nodes.Any(n => n.ManagementIp == p.HostIpAddress))
            {
                report.Error(TelemetryReport.GlobalKey, "POD", $"pod {p.Namespace}/{p.Name}: host IP {p.HostIpAddress} is no node's address");
            }
        }
    }
}
