using Contiv.Lab.Lab;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Dns;

/// <summary>
/// The lab's cluster DNS as Kubernetes objects, created by <c>up</c> (contiv network): the Service
/// <c>kube-system/kube-dns</c> on 10.96.0.10 (UDP and TCP 53) and a Deployment of the same name whose pod runs
/// <c>contiv-lab dns</c>. DNS traffic thus takes the path of any Service: pod → data plane NAT44 → the DNS pod.
/// </summary>
internal static class KubeDnsDeployment
{
    /// <summary>The ClusterIP of <c>kube-dns</c> (the 10th address of the lab's service CIDR 10.96.0.0/12, as kubeadm picks).</summary>
    public const string ClusterIp = "10.96.0.10";

    /// <summary>The cluster domain.</summary>
    public const string Domain = "cluster.local";

    private const string Namespace = "kube-system";
    private const string Name = "kube-dns";

    /// <summary>Creates (or replaces) the Service and the Deployment.</summary>
    public static async Task ApplyAsync(IKubernetes client, string kubeconfig, CancellationToken ct)
    {
        var labels = new Dictionary<string, string> { ["k8s-app"] = Name };
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = Name, NamespaceProperty = Namespace, Labels = labels },
            Spec = new V1ServiceSpec
            {
                ClusterIP = ClusterIp,
                Selector = labels,
                Ports =
                [
                    new V1ServicePort { Name = "dns", Port = 53, Protocol = "UDP", TargetPort = 53 },
                    new V1ServicePort { Name = "dns-tcp", Port = 53, Protocol = "TCP", TargetPort = 53 },
                ],
            },
        };
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = Name, NamespaceProperty = Namespace, Labels = labels },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        // The DNS server itself resolves nothing through the cluster DNS.
                        DnsPolicy = "Default",
                        TerminationGracePeriodSeconds = 2,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "dns",
                                Image = LabBinaries.Image,
                                Command = [LabBinaries.Self, "dns", "--kubeconfig", kubeconfig, "--cluster-domain", Domain],
                                Ports =
                                [
                                    new V1ContainerPort { Name = "dns", ContainerPort = 53, Protocol = "UDP" },
                                    new V1ContainerPort { Name = "dns-tcp", ContainerPort = 53, Protocol = "TCP" },
                                ],
                                // The server listens only once it has listed Services and Endpoints.
                                // Ready within a second of starting (the startup probe, every second until it passes once),
                                // then checked every 10 s as CoreDNS's own manifests do: a probe every second was the
                                // main idle cost of a lab (a thread, two setns and a TCP connect in the kubelet each time).
                                StartupProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 53 }, PeriodSeconds = 1, FailureThreshold = 60 },
                                ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 53 }, PeriodSeconds = 10, FailureThreshold = 3 },
                            },
                        ],
                    },
                },
            },
        };

        await ReplaceAsync(() => client.CoreV1.DeleteNamespacedServiceAsync(Name, Namespace, cancellationToken: ct)).ConfigureAwait(false);
        await client.CoreV1.CreateNamespacedServiceAsync(service, Namespace, cancellationToken: ct).ConfigureAwait(false);
        await ReplaceAsync(() => client.AppsV1.DeleteNamespacedDeploymentAsync(Name, Namespace, cancellationToken: ct)).ConfigureAwait(false);
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Namespace, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Waits until the Service has a ready endpoint (the DNS pod listens); throws with what is missing after <paramref name="timeout"/>.</summary>
    public static async Task WaitReadyAsync(IKubernetes client, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var ep = await Controllers.Api.TryAsync(() => client.CoreV1.ReadNamespacedEndpointsAsync(Name, Namespace, cancellationToken: ct)).ConfigureAwait(false);
            if (ep?.Subsets?.Any(s => s.Addresses is { Count: > 0 }) == true)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                var pods = await client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: "k8s-app=" + Name, cancellationToken: ct).ConfigureAwait(false);
                var states = string.Join("; ", pods.Items.Select(p => $"{p.Name()} {p.Status?.Phase ?? "no status"} on {p.Spec.NodeName ?? "no node"}"));
                throw new TimeoutException($"kube-system/kube-dns has no ready endpoint after {timeout.TotalSeconds:0} s (pods: {(states.Length == 0 ? "none" : states)}); see `contiv-lab logs pod/kube-system/<pod>`");
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    private static async Task ReplaceAsync(Func<Task> delete)
    {
        try
        {
            await delete().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
    }
}
