using System.Net;
using Contiv.Lab.Lab;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Check;

/// <summary>A column of the service matrix: one TCP frontend of one Service.</summary>
/// <param name="Label">Column label: <c>ns/name</c> for the ClusterIP, <c>ns/name@node1</c> / <c>ns/name@node1-mgmt</c> for a NodePort on a node's data / management IP.</param>
/// <param name="Service">The Service, <c>ns/name</c>.</param>
/// <param name="Kind"><c>cluster-ip</c>, <c>node-port</c>, or <c>dns-name</c> (the ClusterIP port reached by the Service's DNS name; <paramref name="Ip"/> is then the name).</param>
/// <param name="Node">For a NodePort: the node whose address is probed; empty for a ClusterIP.</param>
/// <param name="Ip">Address probed.</param>
/// <param name="Port">TCP port probed (service port, or node port).</param>
public sealed record ServiceTarget(string Label, string Service, string Kind, string Node, string Ip, int Port);

/// <summary>Result of the TCP probe from one endpoint to one Service frontend.</summary>
/// <param name="From">Source label (a pod or <c>host/nodeN</c>).</param>
/// <param name="To">Target label (<see cref="ServiceTarget.Label"/>).</param>
/// <param name="Target">Address and port probed.</param>
/// <param name="Tcp">TCP handshake completed (the Service delivered the connection to a backend).</param>
public sealed record ServiceProbeResult(string From, string To, string Target, bool Tcp);

/// <summary>
/// Finds the Service frontends the check probes, from the lab API server: for every Service with
/// ready endpoints, each TCP port's ClusterIP:port, and for NodePort/LoadBalancer Services the node
/// port on every node's data-plane IP. (SPEC §3.1 also maps node ports on management IPs, but those
/// addresses belong to the node hosts' kernels, which no kube-proxy programs here: only traffic that
/// crosses a data plane is translated, so they are not probed.)
/// With <c>externalTrafficPolicy: Local</c> only nodes running a ready endpoint serve the node port
/// (Kubernetes drops it elsewhere), so only those nodes' addresses are probed.
/// </summary>
public static class ServiceTargets
{
    /// <summary>Targets, in Service order, and notes on what was left out and why (not failures).</summary>
    public static async Task<(List<ServiceTarget> Targets, List<string> Skipped)> CollectAsync(LabInstance lab, LabState state, CancellationToken ct)
    {
        using var client = KubeClients.FromKubeconfig(lab.KubeconfigPath);
        var services = await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false);
        var endpoints = await client.CoreV1.ListEndpointsForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false);
        var byName = endpoints.Items.ToDictionary(e => $"{e.Namespace()}/{e.Name()}", StringComparer.Ordinal);
        var targets = new List<ServiceTarget>();
        var skipped = new List<string>();
        foreach (var svc in services.Items.OrderBy(s => s.Namespace(), StringComparer.Ordinal).ThenBy(s => s.Name(), StringComparer.Ordinal))
        {
            var name = $"{svc.Namespace()}/{svc.Name()}";
            byName.TryGetValue(name, out var eps);
            var ready = (eps?.Subsets ?? []).SelectMany(s => s.Addresses ?? []).ToList();
            if (svc.Spec.ClusterIP is null or "" or "None")
            {
                skipped.Add($"{name}: headless (no cluster IP)");
                continue;
            }

            if (ready.Count == 0)
            {
                skipped.Add($"{name}: no ready endpoints (a connection is refused at once)");
                continue;
            }

            if (ready.All(a => IPAddress.TryParse(a.Ip, out var ip) && IPAddress.IsLoopback(ip)))
            {
                // default/kubernetes: the lab API server listens on 127.0.0.1 in the root namespace, outside every lab network.
                skipped.Add($"{name}: endpoints only on loopback ({string.Join(", ", ready.Select(a => a.Ip))}), outside the lab's networks");
                continue;
            }

            var local = svc.Spec.ExternalTrafficPolicy == "Local";
            var nodesWithEndpoint = ready.Select(a => a.NodeName).Where(n => n is { Length: > 0 }).ToHashSet(StringComparer.Ordinal);
            var nodePortNodes = local ? state.Nodes.Where(n => nodesWithEndpoint.Contains(n.Name)).ToList() : state.Nodes;
            foreach (var port in svc.Spec.Ports ?? [])
            {
                var portName = string.IsNullOrEmpty(port.Name) ? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : port.Name;
                if ((port.Protocol ?? "TCP") != "TCP")
                {
                    skipped.Add($"{name} port {portName}: {port.Protocol} (the matrix probes TCP)");
                    continue;
                }

                var suffix = (svc.Spec.Ports!.Count > 1) ? ":" + portName : string.Empty;
                targets.Add(new ServiceTarget(name + suffix, name, "cluster-ip", string.Empty, svc.Spec.ClusterIP, port.Port));
                if (port.NodePort is not { } nodePort || nodePort <= 0)
                {
                    continue;
                }

                foreach (var node in nodePortNodes)
                {
                    targets.Add(new ServiceTarget($"{name}{suffix}@{node.Name}", name, "node-port", node.Name, node.DataIp, nodePort));
                }

                if (local && nodePortNodes.Count < state.Nodes.Count)
                {
                    skipped.Add($"{name} node port {nodePort}: externalTrafficPolicy Local, not probed on nodes without a ready endpoint ({string.Join(", ", state.Nodes.Where(n => !nodePortNodes.Contains(n)).Select(n => n.Name))})");
                }
            }
        }

        // With the cluster DNS running, every ClusterIP frontend is probed by name too (label ns/name@dns).
        var dns = services.Items.FirstOrDefault(s => s.Namespace() == "kube-system" && s.Name() == "kube-dns");
        if (dns is not null && byName.TryGetValue("kube-system/kube-dns", out var dnsEndpoints) && (dnsEndpoints.Subsets ?? []).Any(s => s.Addresses is { Count: > 0 }))
        {
            foreach (var t in targets.Where(t => t.Kind == "cluster-ip").ToList())
            {
                var (ns, svcName) = (t.Service.Split('/')[0], t.Service.Split('/')[1]);
                targets.Add(new ServiceTarget(t.Label + "@dns", t.Service, "dns-name", string.Empty, $"{svcName}.{ns}.svc.{Dns.KubeDnsDeployment.Domain}", t.Port));
            }
        }
        else if (state.Network == "contiv")
        {
            skipped.Add("Service DNS names: kube-system/kube-dns has no ready endpoint");
        }

        return (targets, skipped);
    }

    /// <summary>The cluster DNS address the <c>dns-name</c> targets are resolved through.</summary>
    public static IPAddress ClusterDns => IPAddress.Parse(Dns.KubeDnsDeployment.ClusterIp);
}
