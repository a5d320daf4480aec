using System.Net;
using Contiv.Lab.Kubelet;
using Contiv.Lab.Lab;
using Contiv.Linux;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Check;

/// <summary>A source or destination of the connectivity matrix: a pod, or a node's host network.</summary>
/// <param name="Label">Row/column label: <c>ns/pod</c> or <c>host/node1</c>.</param>
/// <param name="Kind"><c>pod</c> or <c>host</c>.</param>
/// <param name="Node">Node it lives on.</param>
/// <param name="Ip">Address probed.</param>
/// <param name="Netns">Namespace probes are sent from.</param>
/// <param name="TcpPort">Port probed by TCP (the pod's first containerPort, else the check's own listener).</param>
/// <param name="OwnListener">True when the check listens on <see cref="TcpPort"/> itself.</param>
/// <param name="AllowedFrom">Sources the pod expects connections from, all others blocked (<see cref="PolicyExpectations"/>); null = everyone.</param>
public sealed record CheckEndpoint(string Label, string Kind, string Node, string Ip, string Netns, int TcpPort, bool OwnListener, IReadOnlyList<string>? AllowedFrom = null);

/// <summary>Result of the probes from one endpoint to another.</summary>
/// <param name="From">Source label.</param>
/// <param name="To">Destination label.</param>
/// <param name="Ping">ICMP echo answered.</param>
/// <param name="Tcp">TCP handshake completed.</param>
/// <param name="Target">Address (and port) probed.</param>
/// <param name="Expected">
/// What policies should let through: true = TCP allowed, false = TCP blocked, null = no expectation (ping and TCP
/// must both pass).
/// </param>
public sealed record ProbeResult(string From, string To, bool Ping, bool Tcp, string Target, bool? Expected = null)
{
    /// <summary>The pair behaves as expected: both probes passed, or TCP allowed / blocked as the destination expects.</summary>
    public bool Ok => Expected switch
    {
        true => Tcp,
        false => !Tcp,
        null => Ping && Tcp,
    };

    /// <summary>Blocked as the destination expects (a pass).</summary>
    public bool BlockedAsExpected => Expected == false && !Tcp;
}

/// <summary>The whole check: the pod matrix and the service matrix.</summary>
/// <param name="Endpoints">Rows/columns of the pod matrix; rows of the service matrix.</param>
/// <param name="Results">Every probed pair of the pod matrix.</param>
/// <param name="Problems">Pods that could not be probed (not running, no IP, unknown namespace).</param>
/// <param name="ServiceTargets">Columns of the service matrix (ClusterIP:port and NodePorts on every node IP).</param>
/// <param name="ServiceResults">Every probed (source, Service frontend) pair.</param>
/// <param name="ServicesSkipped">Services or ports not probed and why (headless, no ready endpoints, UDP …): notes, not failures.</param>
public sealed record CheckReport(
    IReadOnlyList<CheckEndpoint> Endpoints,
    IReadOnlyList<ProbeResult> Results,
    IReadOnlyList<string> Problems,
    IReadOnlyList<ServiceTarget> ServiceTargets,
    IReadOnlyList<ServiceProbeResult> ServiceResults,
    IReadOnlyList<string> ServicesSkipped)
{
    /// <summary>True when there was something to probe, every probe (pods and Services) passed and no pod was left out.</summary>
    public bool Passed => Results.Count > 0 && Results.All(r => r.Ok) && ServiceResults.All(r => r.Tcp) && Problems.Count == 0;
}

/// <summary>
/// The lab's connectivity matrix (<c>contiv-lab check</c>): every pod to every other pod, every node
/// host to every pod, and every pod to every node host, each by ICMP echo and by a TCP handshake.
/// Probes are sent from inside the source's namespace; where a destination declares no port the
/// check listens on <see cref="DefaultPort"/> in its namespace for the duration of the run.
/// Then the service matrix: every pod and every node host to every Service frontend
/// (<see cref="ServiceTargets"/>) by a TCP handshake, which only completes when the data plane
/// delivered the connection to a listening backend.
/// </summary>
public static class ConnectivityCheck
{
    /// <summary>Default TCP port of the check's own listeners.</summary>
    public const int DefaultPort = 7472;

    /// <summary>Collects the endpoints from the API server and the kubelets' sandbox records, then probes all pairs.</summary>
    public static async Task<CheckReport> RunAsync(LabInstance lab, LabState state, int port, CancellationToken ct)
    {
        var (endpoints, problems) = await CollectAsync(lab, state, port, ct).ConfigureAwait(false);
        var (serviceTargets, servicesSkipped) = state.Network == "contiv"
            ? await ServiceTargets.CollectAsync(lab, state, ct).ConfigureAwait(false)
            : ([], ["all Services: --network " + state.Network + " has no Service implementation (no kube-proxy runs in the lab)"]);
        var threads = new Dictionary<string, NamespaceThread>(StringComparer.Ordinal);
        var namespaces = new List<NetworkNamespace>();
        var listeners = new List<ProbeListener>();
        try
        {
            foreach (var ns in endpoints.Select(e => e.Netns).Distinct(StringComparer.Ordinal))
            {
                var handle = NetworkNamespace.Open(ns);
                namespaces.Add(handle);
                threads[ns] = handle.StartThread("check " + ns);
            }

            foreach (var e in endpoints.Where(e => e.OwnListener).DistinctBy(e => e.Netns))
            {
                if (await ProbeListener.StartAsync(threads[e.Netns], e.TcpPort).ConfigureAwait(false) is { } l)
                {
                    listeners.Add(l);
                }
            }

            var pairs = new List<(CheckEndpoint From, CheckEndpoint To)>();
            foreach (var from in endpoints)
            {
                foreach (var to in endpoints)
                {
                    var wanted = from.Kind == "pod" ? to.Label != from.Label : to.Kind == "pod";
                    if (wanted && !(from.Kind == "host" && to.Kind == "host"))
                    {
                        pairs.Add((from, to));
                    }
                }
            }

            using var gate = new SemaphoreSlim(16);
            var results = await Task.WhenAll(pairs.Select(async p =>
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    var ip = IPAddress.Parse(p.To.Ip);
                    var thread = threads[p.From.Netns];
                    var pingTask = Probes.PingAsync(thread, ip, 3, TimeSpan.FromSeconds(1), ct);
                    var tcpTask = Probes.TcpConnectAsync(thread, ip, p.To.TcpPort, 3, TimeSpan.FromSeconds(1), ct);
                    bool? expected = p.To.AllowedFrom is { } allowed ? PolicyExpectations.Allows(allowed, p.From.Label) : null;
                    return new ProbeResult(p.From.Label, p.To.Label, await pingTask.ConfigureAwait(false), await tcpTask.ConfigureAwait(false), $"{p.To.Ip}:{p.To.TcpPort}", expected);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);

            // Service probes start after the pod matrix: a failing pod path shows there first, not as a Service failure.
            var serviceResults = await Task.WhenAll(endpoints.SelectMany(from => serviceTargets.Select(to => (From: from, To: to))).Select(async p =>
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    var ok = p.To.Kind == "dns-name"
                        ? await DnsNameProbe.ConnectAsync(threads[p.From.Netns], ServiceTargets.ClusterDns, p.To.Ip, p.To.Port, ct).ConfigureAwait(false)
                        : await Probes.TcpConnectAsync(threads[p.From.Netns], IPAddress.Parse(p.To.Ip), p.To.Port, 3, TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                    return new ServiceProbeResult(p.From.Label, p.To.Label, $"{p.To.Ip}:{p.To.Port}", ok);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
            return new CheckReport(endpoints, results, problems, serviceTargets, serviceResults, servicesSkipped);
        }
        finally
        {
            foreach (var l in listeners)
            {
                l.Dispose();
            }

            foreach (var t in threads.Values)
            {
                t.Dispose();
            }

            foreach (var n in namespaces)
            {
                n.Dispose();
            }
        }
    }

    /// <summary>Pods (running, with an IP, namespace known from their kubelet's sandbox record) and node hosts.</summary>
    public static async Task<(List<CheckEndpoint> Endpoints, List<string> Problems)> CollectAsync(LabInstance lab, LabState state, int port, CancellationToken ct)
    {
        var problems = new List<string>();
        var endpoints = new List<CheckEndpoint>();
        using var client = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        var pods = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false);
        var sandboxes = state.Nodes
            .SelectMany(n => SandboxRecord.LoadAll(Path.Combine(n.Dir, "kubelet", "sandboxes"), _ => { }))
            .ToDictionary(r => r.PodUid, StringComparer.Ordinal);

        foreach (var pod in pods.Items.OrderBy(p => p.Namespace(), StringComparer.Ordinal).ThenBy(p => p.Name(), StringComparer.Ordinal))
        {
            var label = $"{pod.Namespace()}/{pod.Name()}";
            if (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase is "Succeeded" or "Failed")
            {
                continue;
            }

            var node = state.Nodes.Find(n => n.Name == pod.Spec.NodeName);
            if (node is null)
            {
                problems.Add($"{label}: not on a lab node (nodeName \"{pod.Spec.NodeName}\")");
                continue;
            }

            if (pod.Status?.PodIP is not { Length: > 0 } ip || pod.Status.Phase != "Running")
            {
                problems.Add($"{label}: phase {pod.Status?.Phase ?? "unknown"}, no pod IP yet");
                continue;
            }

            string netns;
            if (pod.Spec.HostNetwork == true)
            {
                netns = node.Netns;
            }
            else if (sandboxes.TryGetValue(pod.Uid(), out var sb) && NetworkNamespace.Exists(sb.Netns))
            {
                netns = sb.Netns;
            }
            else
            {
                problems.Add($"{label}: its network namespace is unknown (no sandbox record on {node.Name})");
                continue;
            }

            var declared = pod.Spec.Containers.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => (p.Protocol ?? "TCP") == "TCP");
            endpoints.Add(new CheckEndpoint(label, "pod", node.Name, ip, netns, declared?.ContainerPort ?? port, declared is null, PolicyExpectations.Parse(pod.Metadata.Annotations)));
        }

        foreach (var node in state.Nodes)
        {
            endpoints.Add(new CheckEndpoint("host/" + node.Name, "host", node.Name, node.ManagementIp, node.Netns, port, true));
        }

        return (endpoints, problems);
    }
}
