using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// Cluster DNS, readiness and the kubelet's events in the contiv lab (instance <c>e2ek</c>, two nodes, ONE lab for
/// every case): a Deployment <c>web</c> (3 replicas, readiness probe, preStop sleep) behind the Service <c>web</c> and
/// the headless Service <c>web-pods</c>, and a client pod on node1. Names are resolved by the pods' own resolver
/// (glibc through the generated /etc/resolv.conf) against kube-dns behind 10.96.0.10.
/// </summary>
public sealed class WorkloadDnsTests(WorkloadDnsLabFixture fixture) : IClassFixture<WorkloadDnsLabFixture>
{
    private Lab Lab => fixture.Lab;

    private void RequireLab() => Assert.True(fixture.StartError is null, fixture.StartError);

    private string Kubectl(params string[] args) => Lab.Kubectl(args).EnsureSuccess("kubectl " + string.Join(' ', args)).StdOut.Trim();

    private CommandResult Exec(params string[] command) => Lab.Kubectl(["exec", "client", "--", .. command]);

    private static bool Eventually(Func<bool> condition, TimeSpan timeout) => WorkloadChecks.Eventually(condition, timeout);

    private static SortedSet<string> Addresses(string getentOutput)
        => new(getentOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]), StringComparer.Ordinal);

    [RootFact]
    public void A_pod_resolves_a_service_by_short_namespaced_and_full_name_and_nothing_outside_the_cluster()
    {
        RequireLab();
        var clusterIp = Kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}");
        var resolvConf = Exec("cat", "/etc/resolv.conf").EnsureSuccess("cat /etc/resolv.conf").StdOut;
        Assert.Contains("nameserver 10.96.0.10", resolvConf, StringComparison.Ordinal);
        Assert.Contains("search default.svc.cluster.local svc.cluster.local cluster.local", resolvConf, StringComparison.Ordinal);
        Assert.Contains("ndots:5", resolvConf, StringComparison.Ordinal);

        foreach (var name in new[] { "web", "web.default", "web.default.svc", "web.default.svc.cluster.local" })
        {
            var r = Exec("getent", "ahostsv4", name);
            Assert.True(r.ExitCode == 0, $"getent ahostsv4 {name}: exit {r.ExitCode} {r.StdErr}\n{Lab.Diagnostics()}");
            Assert.Equal([clusterIp], Addresses(r.StdOut));
        }

        Assert.Equal(["10.96.0.10"], Addresses(Exec("getent", "ahostsv4", "kube-dns.kube-system").EnsureSuccess("getent kube-dns.kube-system").StdOut));

        // Not in the cluster: unknown Services and names outside cluster.local resolve to nothing (nothing is forwarded).
        Assert.Equal(2, Exec("getent", "ahostsv4", "nosuch").ExitCode);
        Assert.Equal(2, Exec("getent", "ahostsv4", "example.com").ExitCode);

        // The host's own resolv.conf is untouched.
        Assert.DoesNotContain("10.96.0.10", File.ReadAllText("/etc/resolv.conf"), StringComparison.Ordinal);
    }

    [RootFact]
    public void A_headless_service_resolves_to_its_ready_pods()
    {
        RequireLab();
        var podIps = new SortedSet<string>(Kubectl("get", "pods", "-l", "app=web", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].status.podIP}").Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        Assert.Equal(3, podIps.Count);
        SortedSet<string> resolved = [];
        Assert.True(Eventually(() => (resolved = Addresses(Exec("getent", "ahostsv4", "web-pods").StdOut)).SetEquals(podIps), TimeSpan.FromSeconds(20)),
            $"web-pods resolved to {string.Join(',', resolved)}, pods {string.Join(',', podIps)}");
    }

    [RootFact]
    public void Curl_by_service_name_from_a_pod_prints_the_page()
    {
        RequireLab();
        var page = Exec("curl", "-s", "--max-time", "5", "http://web");
        Assert.True(page.ExitCode == 0, $"curl http://web: exit {page.ExitCode} {page.StdErr}");
        Assert.Contains("Directory listing", page.StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_rolling_update_keeps_the_service_answering_without_a_refused_connection()
    {
        RequireLab();
        // One request every 50 ms by name; each line is the HTTP status and curl's exit code (7 = refused).
        WorkloadChecks.RollingUpdateKeepsAnswering(Lab, "client", "web", "app=web", 3,
            "curl -s -o /dev/null --max-time 3 -w '%{http_code}' http://web/; echo \" $?\"", "200 0", "green");
    }

    [RootFact]
    public void A_pod_is_ready_and_an_endpoint_only_once_its_readiness_probe_passes()
    {
        RequireLab();
        Lab.Apply(WorkloadDnsLabFixture.SlowStarter, wait: false);
        try
        {
            Assert.True(Eventually(() => Lab.PodField("slow", "{.status.phase}") == "Running", TimeSpan.FromSeconds(30)), Lab.Diagnostics());
            var ip = Lab.PodField("slow", "{.status.podIP}");
            // The server starts 8 s after the container: until then the pod runs but is neither Ready nor an endpoint.
            Assert.Equal("False", Lab.PodField("slow", "{.status.conditions[?(@.type==\"Ready\")].status}"));
            Assert.DoesNotContain(ip, Kubectl("get", "endpoints", "slow", "-o", "jsonpath={.subsets[*].addresses[*].ip}"), StringComparison.Ordinal);
            Assert.True(Eventually(() => Lab.PodField("slow", "{.status.conditions[?(@.type==\"Ready\")].status}") == "True", TimeSpan.FromSeconds(30)), Kubectl("describe", "pod", "slow"));
            Assert.True(Eventually(() => Kubectl("get", "endpoints", "slow", "-o", "jsonpath={.subsets[*].addresses[*].ip}").Contains(ip, StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
            Assert.Contains("Readiness probe failed", Kubectl("describe", "pod", "slow"), StringComparison.Ordinal);
        }
        finally
        {
            Lab.Delete(WorkloadDnsLabFixture.SlowStarter);
        }
    }

    [RootFact]
    public void A_pod_whose_CNI_ADD_fails_shows_the_CNI_error_in_describe_and_starts_once_it_is_fixed()
    {
        RequireLab();
        // node2's contiv-cni goes missing: the kubelet's ADD fails with the plugin lookup error and is retried.
        var plugin = Lab.StateDir + "/nodes/node2/cni-bin/contiv-cni";
        File.Move(plugin, plugin + ".away");
        try
        {
            Lab.Apply(Pods.Sleeper("orphan", "node2"), wait: false);
            string Describe() => Kubectl("describe", "pod", "orphan");
            Assert.True(Eventually(() => Describe().Contains("FailedCreatePodSandBox", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), Describe());
            Assert.Contains("contiv-cni", Describe(), StringComparison.Ordinal);
            Assert.NotEqual("Running", Lab.PodField("orphan", "{.status.phase}"));
        }
        finally
        {
            File.Move(plugin + ".away", plugin);
        }

        Assert.True(Eventually(() => Lab.PodField("orphan", "{.status.phase}") == "Running", TimeSpan.FromSeconds(30)), Kubectl("describe", "pod", "orphan"));
        Lab.Delete(Pods.Sleeper("orphan", "node2"));
    }
}

/// <summary>The lab of <see cref="WorkloadDnsTests"/>: <c>up --nodes 2</c>, then web (Deployment + Service + headless Service) and the client pod.</summary>
public sealed class WorkloadDnsLabFixture : IDisposable
{
    /// <summary>A Deployment as people write one: readiness probe on its port, preStop sleep so it leaves the Service before it stops.</summary>
    public const string Web = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
        spec:
          replicas: 3
          strategy:
            rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              terminationGracePeriodSeconds: 5
              containers:
              - name: http
                image: none
                command: ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0", "--directory", "/usr/share"]
                env: [{name: COLOR, value: blue}]
                ports: [{containerPort: 8080, name: http}]
                readinessProbe:
                  httpGet: {path: /, port: http}
                  periodSeconds: 1
                lifecycle:
                  preStop:
                    sleep: {seconds: 3}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: default
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web-pods
          namespace: default
        spec:
          clusterIP: None
          selector: {app: web}
          ports: [{port: 8080}]
        """;

    /// <summary>A pod whose server starts late, behind its own Service.</summary>
    public const string SlowStarter = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: slow
          namespace: default
          labels: {app: slow}
        spec:
          nodeName: node2
          containers:
          - name: http
            image: none
            command: ["sh", "-c", "sleep 8; exec python3 -m http.server 8081 --bind 0.0.0.0"]
            ports: [{containerPort: 8081}]
            readinessProbe:
              tcpSocket: {port: 8081}
              periodSeconds: 1
              failureThreshold: 1
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: slow
          namespace: default
        spec:
          selector: {app: slow}
          ports: [{port: 80, targetPort: 8081}]
        """;

    public WorkloadDnsLabFixture()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        Lab.Run("down");
        var up = Lab.Run(TimeSpan.FromSeconds(240), "up", "--nodes", "2");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 2 failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
            return;
        }

        var apply = Lab.Run(TimeSpan.FromSeconds(120), "apply", "-f", WorkloadLabFixture.WriteTemp(Pods.Join(Web + "\n", Pods.Sleeper("client", "node1"))), "--wait", "--timeout", "90");
        if (apply.ExitCode != 0)
        {
            StartError = $"web and the client pod did not become ready:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
            return;
        }

        var rollout = Shell.Run("kubectl", ["rollout", "status", "deployment/web", "--timeout=90s"],
            env: new Dictionary<string, string?> { ["KUBECONFIG"] = Lab.StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(100));
        if (rollout.ExitCode != 0)
        {
            StartError = $"deployment web did not roll out:\n{rollout.StdOut}\n{rollout.StdErr}\n{Lab.Diagnostics()}";
        }
    }

    public Lab Lab { get; } = new("e2ek");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => Lab.Dispose();
}
