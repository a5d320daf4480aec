using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// Real Kubernetes workloads in the contiv lab, through the real kubectl: Deployments (create, expose, scale, rolling
/// update, delete with garbage collection), DaemonSets (also on a node added later), kubectl exec, logs and port-forward.
/// </summary>
[Collection(SharedContivLabCollection.Name)]
public sealed class WorkloadTests(WorkloadLabFixture fixture) : IClassFixture<WorkloadLabFixture>
{
    private Lab Lab => fixture.Lab;

    private void RequireLab() => Assert.True(fixture.StartError is null, fixture.StartError);

    private string Kubectl(params string[] args) => Lab.Kubectl(args).EnsureSuccess("kubectl " + string.Join(' ', args)).StdOut.Trim();

    private CommandResult KubectlLong(params string[] args) => WorkloadChecks.KubectlLong(Lab, args);

    private static bool Eventually(Func<bool> condition, TimeSpan timeout) => WorkloadChecks.Eventually(condition, timeout);

    [RootFact]
    public void A_deployment_spreads_is_exposed_scaled_updated_and_deleted_with_everything_it_owns()
    {
        RequireLab();
        Kubectl("create", "deployment", "web", "--image=none", "--replicas=3", "--port=8080", "--", "python3", "-m", "http.server", "8080", "--bind", "0.0.0.0");
        var rollout = KubectlLong("rollout", "status", "deployment/web", "--timeout=120s");
        Assert.True(rollout.ExitCode == 0, $"rollout: {rollout.StdOut}{rollout.StdErr}\n{Lab.Diagnostics()}");
        var nodes = Kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.nodeName}").Split(' ');
        Assert.Equal(3, nodes.Length);
        Assert.Equal(2, nodes.Distinct().Count());

        Kubectl("expose", "deployment", "web", "--port=80", "--target-port=8080");
        var ip = Kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}");
        string Fetch() => Lab.Kubectl("exec", "client", "--", "python3", "-c",
            $"import urllib.request; print(urllib.request.urlopen('http://{ip}/', timeout=3).status)").StdOut.Trim();
        Assert.True(Eventually(() => Fetch() == "200", TimeSpan.FromSeconds(30)), $"http://{ip}/ from the client pod: {Fetch()}");

        // The backend that answered logged the request: kubectl logs across the pods shows it.
        Assert.True(Eventually(() => Kubectl("logs", "-l", "app=web", "--tail=-1").Contains("GET / HTTP", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));

        Assert.Contains("scaled", Kubectl("scale", "deployment", "web", "--replicas=6"), StringComparison.Ordinal);
        Assert.Equal(0, KubectlLong("rollout", "status", "deployment/web", "--timeout=120s").ExitCode);
        Assert.Equal(6, Kubectl("get", "pods", "-l", "app=web", "--field-selector=status.phase=Running", "-o", "name").Split('\n').Length);

        Kubectl("set", "env", "deployment/web", "COLOR=blue");
        Assert.Equal(0, KubectlLong("rollout", "status", "deployment/web", "--timeout=150s").ExitCode);
        Assert.True(Eventually(() => Kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.containers[0].env[0].value} {end}").Trim() == string.Join(' ', Enumerable.Repeat("blue", 6)), TimeSpan.FromSeconds(30)));
        Assert.Equal("200", Fetch());

        Kubectl("delete", "deployment", "web");
        Assert.True(Eventually(() => Kubectl("get", "pods,replicasets", "-l", "app=web", "-o", "name").Length == 0, TimeSpan.FromSeconds(60)),
            Kubectl("get", "pods,replicasets", "-l", "app=web", "-o", "wide"));
        Kubectl("delete", "service", "web");
    }

    [RootFact]
    public void Apply_wait_returns_only_once_deployments_and_daemonsets_have_rolled_out()
    {
        // `contiv-lab apply --wait` used to wait for bare Pods only: with a Deployment it returned at once,
        // before the controller-manager had even created the pods.
        RequireLab();
        var output = Lab.Apply("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: waited, namespace: default}
            spec:
              replicas: 4
              selector: {matchLabels: {app: waited}}
              template:
                metadata: {labels: {app: waited}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: http
                    image: none
                    command: ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0"]
                    readinessProbe: {tcpSocket: {port: 8080}, initialDelaySeconds: 2, periodSeconds: 1}
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: waited-ds, namespace: default}
            spec:
              selector: {matchLabels: {app: waited-ds}}
              template:
                metadata: {labels: {app: waited-ds}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: sleep
                    image: none
                    command: ["sleep", "infinity"]
            """);
        try
        {
            Assert.Contains("2 workload(s) rolled out", output, StringComparison.Ordinal);
            string ReadyOf(string selector) => Kubectl("get", "pods", "-l", selector, "-o",
                "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status} {end}").Trim();
            Assert.Equal(string.Join(' ', Enumerable.Repeat("True", 4)), ReadyOf("app=waited"));
            var nodes = Kubectl("get", "nodes", "-o", "name").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.Equal(string.Join(' ', Enumerable.Repeat("True", nodes)), ReadyOf("app=waited-ds"));
        }
        finally
        {
            Kubectl("delete", "deployment", "waited");
            Kubectl("delete", "daemonset", "waited-ds");
        }
    }

    [RootFact]
    public void A_prestop_httpGet_hook_is_sent_from_the_pod_before_it_stops()
    {
        RequireLab();
        Lab.Apply("""
            apiVersion: v1
            kind: Pod
            metadata: {name: hook-listener, namespace: default}
            spec:
              containers:
              - name: http
                image: none
                command: ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0"]
                readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
            """);
        try
        {
            var listener = Kubectl("get", "pod", "hook-listener", "-o", "jsonpath={.status.podIP}");
            Lab.Apply($$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: hooked, namespace: default}
                spec:
                  terminationGracePeriodSeconds: 10
                  containers:
                  - name: sleep
                    image: none
                    command: ["sleep", "infinity"]
                    lifecycle:
                      preStop:
                        httpGet: {host: "{{listener}}", port: 8080, path: /prestop-from-hooked}
                """);
            Kubectl("delete", "pod", "hooked", "--wait=true", "--timeout=60s");
            Assert.True(Eventually(() => Kubectl("logs", "hook-listener").Contains("GET /prestop-from-hooked", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                Kubectl("logs", "hook-listener"));
        }
        finally
        {
            Lab.Kubectl("delete", "pod", "hooked", "hook-listener", "--ignore-not-found", "--wait=false");
        }
    }

    [RootFact]
    public void A_daemonset_runs_one_pod_per_node_including_an_added_node()
    {
        RequireLab();
        WorkloadChecks.DaemonSetCoversAnAddedNode(Lab, "probe", """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: probe
            spec:
              selector:
                matchLabels: {app: probe}
              template:
                metadata:
                  labels: {app: probe}
                spec:
                  containers:
                  - name: sleep
                    image: none
                    command: ["sleep", "infinity"]
            """, "app=probe");
    }

    [RootFact]
    public void Kubectl_exec_runs_inside_the_pod_network_and_events_explain_the_pod()
    {
        RequireLab();
        var podIp = Lab.PodField("client", "{.status.podIP}");
        var inside = Kubectl("exec", "client", "--", "python3", "-c", "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('10.96.0.1', 1)); print(s.getsockname()[0])");
        Assert.Equal(podIp, inside);
        var echoed = Shell.Run("kubectl", ["exec", "-i", "client", "--", "cat"], stdin: "typed",
            env: new Dictionary<string, string?> { ["KUBECONFIG"] = Lab.StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal("typed", echoed.StdOut);
        var describe = Kubectl("describe", "pod", "client");
        Assert.Contains("Scheduled", describe, StringComparison.Ordinal);
        Assert.Contains("Started container sleep", describe, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Kubectl_port_forward_reaches_a_pods_http_server_over_several_and_concurrent_connections()
    {
        RequireLab();
        Kubectl("run", "pf", "--image=none", "--port=8080", "--command", "--", "python3", "-m", "http.server", "8080", "--bind", "0.0.0.0", "--directory", "/usr/share");
        try
        {
            var ready = KubectlLong("wait", "--for=condition=Ready", "pod/pf", "--timeout=90s");
            Assert.True(ready.ExitCode == 0, $"pod pf: {ready.StdOut}{ready.StdErr}\n{Lab.Diagnostics()}");
            // Ready has no probe here: wait until the server listens inside the pod.
            Assert.True(Eventually(() => Lab.Kubectl("exec", "pf", "--", "python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 8080), 2)").ExitCode == 0, TimeSpan.FromSeconds(20)));

            using var pf = await KubectlPortForward.StartAsync(Lab.StateDir + "/kubeconfig", "default", "pf", 8080);
            for (var i = 0; i < 5; i++)
            {
                var page = pf.Curl("/");
                Assert.True(page.ExitCode == 0, $"curl {i}: {page.StdErr}\nkubectl: {pf.Output}");
                Assert.Contains("Directory listing for /", page.StdOut, StringComparison.Ordinal);
            }

            // Two connections at once: one held half-sent while another completes.
            using (var held = await pf.ConnectAsync())
            {
                var stream = held.GetStream();
                await stream.WriteAsync("GET /doc/ HTTP/1.0\r\n"u8.ToArray());
                var other = pf.Curl("/");
                Assert.True(other.ExitCode == 0 && other.StdOut.Contains("Directory listing", StringComparison.Ordinal), $"{other.StdErr}\nkubectl: {pf.Output}");
                await stream.WriteAsync("\r\n"u8.ToArray());
                using var reader = new StreamReader(stream);
                var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15));
                Assert.StartsWith("HTTP/1.0 200", response, StringComparison.Ordinal);
                Assert.Contains("Directory listing for /doc/", response, StringComparison.Ordinal);
            }

            Assert.Contains("GET /doc/ HTTP", Kubectl("logs", "pf"), StringComparison.Ordinal);
            Assert.True(pf.IsRunning, pf.Output);
            Assert.Equal(0, pf.Stop());
        }
        finally
        {
            Lab.Kubectl("delete", "pod", "pf", "--wait=false");
        }
    }
}
