using System.Text.Json;
using Contiv.Model;
using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;
using Contiv.Model.Vpp;
using Contiv.Store;
using Google.Protobuf;

namespace Contiv.Telemetry.Collection;

/// <summary>
/// Collects one <see cref="ClusterSnapshot"/>: VppNodes, k8s nodes and pods from etcd, then every node's
/// agent in parallel (<c>/liveness</c>, <c>/contiv/v1/ipam</c>, the six scheduler dumps SPEC §1.4 names).
/// An agent that does not answer leaves its node with <see cref="NodeTelemetry.CollectionError"/> set.
/// </summary>
public sealed class ClusterCollector
{
    /// <summary>The scheduler descriptors polled on every node (SPEC §1.4).</summary>
    public static readonly IReadOnlyList<string> Descriptors = ["vpp-interface", "vpp-bridge-domain", "vpp-l2-fib", "vpp-arp", "vpp-route", "linux-interface"];

    private readonly IEtcdBroker _etcd;
    private readonly AgentClient _agents;

    /// <summary>Creates a collector over an etcd broker and an agent client (both owned by the caller).</summary>
    public ClusterCollector(IEtcdBroker etcd, AgentClient agents)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(agents);
        _etcd = etcd;
        _agents = agents;
    }

    /// <summary>Reads the etcd records and lists the nodes without polling their agents.</summary>
    public async Task<ClusterSnapshot> ReadEtcdAsync(CancellationToken cancellationToken = default)
    {
        var vppNodes = new List<VppNode>();
        await foreach (var v in _etcd.ListProtoAsync<VppNode>(Keys.VppNodePrefix, cancellationToken).ConfigureAwait(false))
        {
            vppNodes.Add(v.Value);
        }

        var k8sNodes = new List<Node>();
        await foreach (var n in _etcd.ListProtoAsync<Node>(Keys.NodePrefix, cancellationToken).ConfigureAwait(false))
        {
            k8sNodes.Add(n.Value);
        }

        var pods = new List<Pod>();
        await foreach (var p in _etcd.ListProtoAsync<Pod>(Keys.PodPrefix, cancellationToken).ConfigureAwait(false))
        {
            pods.Add(p.Value);
        }

        var nodes = new List<NodeTelemetry>();
        var names = vppNodes.Select(v => v.Name).Concat(k8sNodes.Select(k => k.Name)).Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var vpp = vppNodes.FirstOrDefault(v => v.Name == name);
            var k8s = k8sNodes.FirstOrDefault(k => k.Name == name);
            var mgmt = k8s is null ? string.Empty : ManagementIp(k8s);
            nodes.Add(new NodeTelemetry
            {
                Name = name,
                Id = vpp?.Id ?? 0,
                VppIp = vpp is null ? string.Empty : vpp.IpAddresses.FirstOrDefault() ?? vpp.IpAddress,
                ManagementIp = mgmt,
                AgentUrl = _agents.Options.BaseUrlFor(name, mgmt),
            });
        }

        nodes.Sort((a, b) => a.Id != b.Id ? (a.Id == 0 ? 1 : b.Id == 0 ? -1 : a.Id.CompareTo(b.Id)) : string.CompareOrdinal(a.Name, b.Name));
        return new ClusterSnapshot(nodes, vppNodes, k8sNodes, pods);
    }

    /// <summary>Reads etcd and polls every node's agent.</summary>
    public async Task<ClusterSnapshot> CollectAsync(ValidationState state = ValidationState.SB, CancellationToken cancellationToken = default)
    {
        var snapshot = await ReadEtcdAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(snapshot.Nodes.Where(n => n.Id != 0).Select(n => PollAsync(n, state, cancellationToken))).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>The management IP of a k8s node: InternalIP, else ExternalIP, else "".</summary>
    public static string ManagementIp(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Addresses.FirstOrDefault(a => a.Type == NodeAddress.Types.AddressType.NodeInternalIp)?.Address
            ?? node.Addresses.FirstOrDefault(a => a.Type == NodeAddress.Types.AddressType.NodeExternalIp)?.Address
            ?? string.Empty;
    }

    /// <summary>Polls one node's agent and fills its telemetry; records the first failure instead of throwing.</summary>
    public async Task PollAsync(NodeTelemetry node, ValidationState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.AgentUrl.Length == 0)
        {
            node.CollectionError = $"node {node.Name}: no management IP and no agent endpoint known";
            return;
        }

        try
        {
            var (status, live) = await _agents.GetAsync(node.AgentUrl, "/liveness", cancellationToken).ConfigureAwait(false);
            node.LivenessState = live is { ValueKind: JsonValueKind.Object } l && l.TryGetProperty("state", out var s) ? s.GetString() : $"HTTP {status}";
            if (status != 200)
            {
                node.CollectionError = $"node {node.Name}: agent at {node.AgentUrl} is not alive: /liveness answered HTTP {status} {live?.GetRawText()}";
                return;
            }

            var ipam = await _agents.GetOkAsync(node.AgentUrl, "/contiv/v1/ipam", cancellationToken).ConfigureAwait(false);
            node.Ipam = ipam.Deserialize<AgentIpam>(JsonOptions)!;
            var st = state switch { ValidationState.NB => "NB", ValidationState.Internal => "internal", _ => "SB" };
            node.Interfaces = await DumpAsync<Interface>(node, "vpp-interface", st, cancellationToken).ConfigureAwait(false);
            node.BridgeDomains = await DumpAsync<BridgeDomain>(node, "vpp-bridge-domain", st, cancellationToken).ConfigureAwait(false);
            node.L2Fibs = await DumpAsync<L2FibEntry>(node, "vpp-l2-fib", st, cancellationToken).ConfigureAwait(false);
            node.Arps = await DumpAsync<ArpEntry>(node, "vpp-arp", st, cancellationToken).ConfigureAwait(false);
            node.Routes = await DumpAsync<Route>(node, "vpp-route", st, cancellationToken).ConfigureAwait(false);
            var linux = await _agents.GetOkAsync(node.AgentUrl, $"/scheduler/dump?descriptor=linux-interface&state={st}", cancellationToken).ConfigureAwait(false);
            node.LinuxInterfaces = [.. linux.EnumerateArray().Select(e => e.GetProperty("Value")).Select(v => new LinuxInterfaceInfo(
                v.TryGetProperty("host_if_name", out var h) ? h.GetString() ?? string.Empty : string.Empty,
                v.TryGetProperty("namespace", out var ns) ? ns.GetString() ?? string.Empty : string.Empty,
                v.TryGetProperty("ip_addresses", out var ips) ? [.. ips.EnumerateArray().Select(i => i.GetString() ?? string.Empty)] : []))];
        }
        catch (AgentUnreachableException e)
        {
            node.CollectionError = $"node {node.Name}: {e.Message}";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or InvalidProtocolBufferException or FormatException)
        {
            node.CollectionError = $"node {node.Name}: agent at {node.AgentUrl} answered something unexpected: {e.Message}";
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    private async Task<List<T>> DumpAsync<T>(NodeTelemetry node, string descriptor, string state, CancellationToken ct)
        where T : IMessage<T>, new()
    {
        var dump = await _agents.GetOkAsync(node.AgentUrl, $"/scheduler/dump?descriptor={descriptor}&state={state}", ct).ConfigureAwait(false);
        return [.. dump.EnumerateArray().Select(e => ProtoJson.Parse<T>(e.GetProperty("Value").GetRawText()))];
    }
}
