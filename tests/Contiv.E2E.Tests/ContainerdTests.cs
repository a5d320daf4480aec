using System.Diagnostics;
using System.Text.Json.Nodes;
using Contiv.Testing;
using Xunit.Abstractions;

namespace Contiv.E2E.Tests;

/// <summary>
/// <c>contiv-lab up --runtime containerd</c> (instance <c>e2ecri</c>, contiv network, 2 nodes): the kubelet stand-ins
/// drive one Debian containerd per node over CRI, containerd calls contiv-cni, the pods run the lab's busybox image.
/// One lab for the whole story, torn down at the end so that <c>down</c>'s cleanup is part of what is checked.
/// </summary>
public sealed class ContainerdTests(ITestOutputHelper output)
{
    private const string Manifests = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web1, namespace: default, labels: {app: web}}
        spec:
          nodeName: node1
          containers:
            - name: httpd
              image: busybox
              command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
              ports: [{containerPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web2, namespace: default, labels: {app: web}}
        spec:
          nodeName: node2
          containers:
            - name: httpd
              image: contiv-lab/busybox
              command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
              ports: [{containerPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client, namespace: default}
        spec:
          nodeName: node2
          terminationGracePeriodSeconds: 1
          containers:
            - name: sleep
              image: busybox
              command: ["sleep", "3600"]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: talker, namespace: default}
        spec:
          nodeName: node1
          terminationGracePeriodSeconds: 1
          containers:
            - name: talk
              image: busybox
              command:
                - sh
                - -c
                - |
                  echo hello-from-stdout
                  echo hello-from-stderr >&2
                  head -c 20000 /dev/zero | tr '\0' x
                  echo
                  exec sleep 3600
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        """;

    /// <summary>
    /// A web pod that is not ready until <c>/www/ready.html</c> exists (httpGet readiness probe), with an exec liveness
    /// probe (CRI <c>ExecSync</c>) that passes.
    /// </summary>
    private const string GatedWeb = """
        apiVersion: v1
        kind: Pod
        metadata: {name: gate, namespace: default, labels: {app: web}}
        spec:
          nodeName: node1
          terminationGracePeriodSeconds: 1
          containers:
            - name: httpd
              image: busybox
              command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
              ports: [{containerPort: 8080}]
              readinessProbe: {httpGet: {path: /ready.html, port: 8080}, periodSeconds: 1, failureThreshold: 1}
              livenessProbe: {exec: {command: ["test", "-f", "/www/index.html"]}, periodSeconds: 2, timeoutSeconds: 10, failureThreshold: 3}
        """;

    /// <summary>
    /// A Deployment as people write one, on busybox: readiness probe on its port, an exec preStop hook (CRI ExecSync)
    /// so it leaves the Service before it stops; behind the Service <c>webd</c> and the headless Service <c>webd-pods</c>.
    /// </summary>
    private const string WebDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: webd, namespace: default}
        spec:
          replicas: 3
          strategy:
            rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
          selector:
            matchLabels: {app: webd}
          template:
            metadata:
              labels: {app: webd}
            spec:
              terminationGracePeriodSeconds: 5
              containers:
                - name: httpd
                  image: busybox
                  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                  env: [{name: COLOR, value: blue}]
                  ports: [{containerPort: 8080, name: http}]
                  readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}
                  lifecycle:
                    preStop:
                      exec: {command: ["sleep", "3"]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: webd, namespace: default}
        spec:
          selector: {app: webd}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: webd-pods, namespace: default}
        spec:
          clusterIP: None
          selector: {app: webd}
          ports: [{port: 8080}]
        """;

    /// <summary>
    /// A container that ignores SIGTERM (PID 1 without a handler), with an exec preStop hook that writes to the
    /// container's own stdout (its log) and takes 2 s, and a grace period of 4 s.
    /// </summary>
    private const string Stopper = """
        apiVersion: v1
        kind: Pod
        metadata: {name: stopper, namespace: default}
        spec:
          nodeName: node1
          terminationGracePeriodSeconds: 4
          containers:
            - name: sleep
              image: busybox
              command: ["sleep", "3600"]
              lifecycle:
                preStop:
                  exec: {command: ["sh", "-c", "echo prestop-ran > /proc/1/fd/1; sleep 2"]}
        """;

    private const string DaemonSet = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: probe, namespace: default}
        spec:
          selector:
            matchLabels: {app: probe}
          template:
            metadata:
              labels: {app: probe}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
                - name: sleep
                  image: busybox
                  command: ["sleep", "3600"]
        """;

    [RootFact]
    public void Containerd_runs_the_pods_calls_contiv_cni_and_leaves_nothing_behind()
    {
        using var lab = new Lab("e2ecri");
        lab.Run("down");

        var watch = Stopwatch.StartNew();
        lab.Ok("up", "--runtime", "containerd", "--nodes", "2");
        output.WriteLine($"up --runtime containerd: {watch.Elapsed.TotalSeconds:0.0} s");
        var cniNamespaces = new List<string>();
        try
        {
            watch.Restart();
            lab.Apply(Manifests);
            output.WriteLine($"4 pods Ready: {watch.Elapsed.TotalSeconds:0.0} s");

            // Every pod's sandbox is containerd's: its namespace is containerd's /var/run/netns/cni-…
            foreach (var (pod, node) in new[] { ("web1", "node1"), ("web2", "node2"), ("client", "node2") })
            {
                var record = SandboxOf(lab, node, pod);
                var sandboxId = record["containerId"]!.GetValue<string>();
                var netns = record["netns"]!.GetValue<string>();
                Assert.Equal("cri", record["runtime"]?.GetValue<string>());
                Assert.StartsWith("cni-", netns, StringComparison.Ordinal);
                cniNamespaces.Add(netns);

                // contiv-cni was called by containerd, with containerd's sandbox id, netns path and CNI_ARGS.
                var cniLog = File.ReadAllText($"{lab.StateDir}/nodes/{node}/contiv-cni.log");
                Assert.Contains($"ADD {sandboxId} eth0", cniLog, StringComparison.Ordinal);
                var attachments = string.Join('\n', Directory.GetFiles($"{lab.StateDir}/nodes/{node}/cni-data", "*", SearchOption.AllDirectories).Select(File.ReadAllText));
                Assert.Contains("/var/run/netns/" + netns, attachments, StringComparison.Ordinal);
                Assert.Contains($"K8S_POD_INFRA_CONTAINER_ID={sandboxId}", attachments, StringComparison.Ordinal);
                Assert.Contains($"K8S_POD_NAME={pod}", attachments, StringComparison.Ordinal);

                // ctr lists the pod's container: the id the pod status reports.
                var containerId = lab.PodField(pod, "{.status.containerStatuses[0].containerID}");
                Assert.StartsWith("containerd://", containerId, StringComparison.Ordinal);
                var ctr = Shell.Run("ctr", ["--address", $"{lab.StateDir}/nodes/{node}/containerd/containerd.sock", "-n", "k8s.io", "containers", "ls"]).EnsureSuccess("ctr containers ls");
                Assert.Contains(containerId["containerd://".Length..], ctr.StdOut, StringComparison.Ordinal);
                Assert.Contains(sandboxId, ctr.StdOut, StringComparison.Ordinal);
            }

            // The kubelet stand-in ran no CNI plugin itself for these pods: only the cluster DNS pod, which runs the lab's
            // own binary (no image), goes through the process runner and so through the kubelet's own CNI ADD.
            foreach (var node in new[] { "node1", "node2" })
            {
                var own = $"{lab.StateDir}/nodes/{node}/kubelet/cni.log";
                var adds = File.Exists(own) ? File.ReadAllLines(own).Where(l => l.Contains(" ADD ", StringComparison.Ordinal)).ToList() : [];
                Assert.True(adds.All(l => l.Contains("pod=kube-system/kube-dns-", StringComparison.Ordinal)), "the kubelet called CNI itself: " + string.Join('\n', adds));
            }

            // Pods reach each other across nodes and the Service from pods and node hosts (the lab's matrices).
            var (code, report, raw) = lab.Check();
            Assert.True(code == 0 && report.Passed, raw);

            // The busybox httpd answers through the Service's ClusterIP, fetched from inside the client's namespace.
            var clusterIp = lab.Kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").EnsureSuccess("kubectl get svc").StdOut.Trim();
            var page = Shell.Run("ip", ["netns", "exec", cniNamespaces[2], "curl", "-s", "--max-time", "5", $"http://{clusterIp}/"]);
            Assert.Contains("hello from the contiv-lab busybox image", page.StdOut, StringComparison.Ordinal);

            // The container's own output goes to the log containerd writes (kubelet's CRI log format).
            Assert.True(File.Exists(Directory.GetFiles($"{lab.StateDir}/nodes/node1/kubelet/pods", "httpd.log", SearchOption.AllDirectories).Single()));

            ExecRunsInTheContainer(lab);
            LogsJoinPartialRecords(lab);
            ReadinessGatesTheEndpoints(lab);
            ClusterDnsInTheContainers(lab, clusterIp);
            PortForwardReachesTheContainer(lab);
            PreStopHookRunsWithinTheGracePeriod(lab);
            CniAddFailureIsDescribed(lab);
            DeploymentRollsOutBehindItsServices(lab);
            watch.Restart();
            WorkloadChecks.DaemonSetCoversAnAddedNode(lab, "probe", DaemonSet, "app=probe", pod =>
                Assert.StartsWith("containerd://", lab.PodField(pod, "{.status.containerStatuses[0].containerID}"), StringComparison.Ordinal));
            output.WriteLine($"DaemonSet incl. node add/delete: {watch.Elapsed.TotalSeconds:0.0} s");

            // Deleting a pod goes through StopPodSandbox: containerd calls CNI DEL and removes its namespace.
            watch.Restart();
            lab.Kubectl("delete", "pod", "client", "--wait=true", "--timeout=60s").EnsureSuccess("kubectl delete pod client");
            output.WriteLine($"pod deletion: {watch.Elapsed.TotalSeconds:0.0} s");
            // (The API server may finish the deletion when the grace period ends, before the kubelet is done.)
            var gone = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (File.Exists("/run/netns/" + cniNamespaces[2]) && DateTime.UtcNow < gone)
            {
                Thread.Sleep(200);
            }

            output.WriteLine($"namespace of the deleted pod gone after {watch.Elapsed.TotalSeconds:0.0} s");
            Assert.False(File.Exists("/run/netns/" + cniNamespaces[2]), "containerd's namespace of the deleted pod is still there");
            Assert.Contains("DEL ", File.ReadAllText($"{lab.StateDir}/nodes/node2/contiv-cni.log"), StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(lab.Diagnostics());
            throw;
        }
        finally
        {
            watch.Restart();
            var down = lab.Run(TimeSpan.FromSeconds(120), "down");
            output.WriteLine($"down: {watch.Elapsed.TotalSeconds:0.0} s\n{down.StdOut}{down.StdErr}");
        }

        // Nothing of containerd is left: no daemon, shim or container process, mount, state directory or namespace.
        var left = ProcessesNaming(lab.StateDir);
        Assert.True(left.Count == 0, "processes of the lab left: " + string.Join("; ", left));
        Assert.DoesNotContain(lab.StateDir, File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);
        Assert.False(Directory.Exists(lab.StateDir));
        // (Other labs on a shared machine come and go: only this lab's namespaces count.)
        var now = Namespaces();
        Assert.DoesNotContain(now, n => n.StartsWith(lab.NetnsPrefix, StringComparison.Ordinal) || cniNamespaces.Contains(n));
    }

    /// <summary>containerd wrote the pod's resolv.conf from the sandbox's dns_config; busybox resolves the Service by its short and long names.</summary>
    private void ClusterDnsInTheContainers(Lab lab, string clusterIp)
    {
        var resolv = lab.Kubectl("exec", "client", "--", "cat", "/etc/resolv.conf").EnsureSuccess("kubectl exec client -- cat /etc/resolv.conf").StdOut;
        output.WriteLine("client's resolv.conf:\n" + resolv);
        Assert.Contains("nameserver 10.96.0.10", resolv, StringComparison.Ordinal);
        Assert.Contains("search default.svc.cluster.local svc.cluster.local cluster.local", resolv, StringComparison.Ordinal);
        Assert.Contains("options ndots:5", resolv, StringComparison.Ordinal);

        // busybox's nslookup has its own resolver: it applies the search path to a name without dots only.
        foreach (var name in new[] { "web", "web.default.svc.cluster.local" })
        {
            var lookup = lab.Kubectl("exec", "client", "--", "nslookup", name);
            output.WriteLine($"nslookup {name}: exit {lookup.ExitCode}\n{lookup.StdOut}{lookup.StdErr}");
            Assert.Contains($"Name:\tweb.default.svc.cluster.local\nAddress: {clusterIp}", lookup.StdOut, StringComparison.Ordinal);
        }

        // wget resolves through the C library (resolv.conf's search path and ndots:5): all three names reach the Service.
        // (No -T: this busybox's wget crashes with it.)
        foreach (var name in new[] { "web", "web.default", "web.default.svc.cluster.local" })
        {
            var page = lab.Kubectl("exec", "client", "--", "wget", "-q", "-O", "-", $"http://{name}/");
            Assert.True(page.ExitCode == 0, $"wget http://{name}/ from the client pod: exit {page.ExitCode}: {page.StdOut}{page.StdErr}");
            Assert.Contains("hello from the contiv-lab busybox image", page.StdOut, StringComparison.Ordinal);
        }
    }

    /// <summary><c>kubectl exec</c> runs in the container (CRI ExecSync): its hostname, its image's files, exit code and stderr.</summary>
    private void ExecRunsInTheContainer(Lab lab)
    {
        var hostname = lab.Kubectl("exec", "web1", "--", "cat", "/etc/hostname").EnsureSuccess("kubectl exec web1 -- cat /etc/hostname").StdOut.Trim();
        Assert.Equal("web1", hostname);

        // /www/index.html exists only in the busybox image's root file system, not on the machine.
        Assert.False(File.Exists("/www/index.html"));
        var index = lab.Kubectl("exec", "web1", "--", "cat", "/www/index.html").EnsureSuccess("kubectl exec web1 -- cat /www/index.html").StdOut;
        Assert.Contains("hello from the contiv-lab busybox image", index, StringComparison.Ordinal);

        // PID namespace of its own: the container's process is PID 1 there.
        var ps = lab.Kubectl("exec", "web1", "--", "cat", "/proc/1/cmdline").EnsureSuccess("kubectl exec web1 -- cat /proc/1/cmdline").StdOut;
        Assert.StartsWith("httpd", ps, StringComparison.Ordinal);

        var failing = lab.Kubectl("exec", "web1", "--", "sh", "-c", "echo to-stderr >&2; exit 3");
        Assert.Equal(3, failing.ExitCode);
        Assert.Contains("to-stderr", failing.StdErr, StringComparison.Ordinal);

        // With stdin (interactive): the command runs in the container's mount namespace (its root file system).
        var interactive = Shell.Run("kubectl", ["exec", "-i", "web1", "--", "sh", "-c", "cat /etc/hostname; cat /www/index.html"], stdin: string.Empty,
            env: new Dictionary<string, string?> { ["KUBECONFIG"] = lab.StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(30));
        Assert.True(interactive.ExitCode == 0, $"kubectl exec -i: {interactive.StdOut}{interactive.StdErr}");
        Assert.StartsWith("web1", interactive.StdOut, StringComparison.Ordinal);
        Assert.Contains("hello from the contiv-lab busybox image", interactive.StdOut, StringComparison.Ordinal);

        // With a terminal (-it; util-linux script gives kubectl one of 30 rows and 100 columns): a pseudo-terminal of that
        // size, in the container's mount namespace.
        var terminal = Shell.Run("script", ["-qec", $"stty rows 30 cols 100; kubectl --kubeconfig {lab.StateDir}/kubeconfig exec -it web1 -- sh -c '[ -t 0 ] && echo is-a-tty; stty size; cat /etc/hostname'", "/dev/null"],
            stdin: string.Empty, timeout: TimeSpan.FromSeconds(60));
        Assert.True(terminal.ExitCode == 0, $"kubectl exec -it: exit {terminal.ExitCode}: {terminal.StdOut}{terminal.StdErr}");
        Assert.Contains("is-a-tty", terminal.StdOut, StringComparison.Ordinal);
        Assert.Contains("30 100", terminal.StdOut, StringComparison.Ordinal);
        Assert.Contains("web1", terminal.StdOut, StringComparison.Ordinal);

        // The exit status always arrives before the close (the close handshake): 20 more runs, a non-zero exit among them.
        for (var i = 0; i < 20; i++)
        {
            var code = i % 4 == 0 ? 5 : 0;
            var r = Shell.Run("kubectl", ["exec", "-i", "web1", "--", "sh", "-c", $"echo run {i}; exit {code}"], stdin: string.Empty,
                env: new Dictionary<string, string?> { ["KUBECONFIG"] = lab.StateDir + "/kubeconfig" }, timeout: TimeSpan.FromSeconds(30));
            Assert.True(r.ExitCode == code && r.StdOut == $"run {i}\n", $"kubectl exec -i run {i}: exit {r.ExitCode} (want {code}): {r.StdOut}{r.StdErr}");
        }
    }

    /// <summary><c>kubectl port-forward</c> to the busybox httpd of a containerd pod, fetched through 127.0.0.1 several times.</summary>
    private void PortForwardReachesTheContainer(Lab lab)
    {
        using var pf = KubectlPortForward.StartAsync(lab.StateDir + "/kubeconfig", "default", "web1", 8080).GetAwaiter().GetResult();
        for (var i = 0; i < 3; i++)
        {
            var page = pf.Curl("/");
            Assert.True(page.ExitCode == 0, $"curl {i} through port-forward: {page.StdErr}\nkubectl: {pf.Output}");
            Assert.Contains("hello from the contiv-lab busybox image", page.StdOut, StringComparison.Ordinal);
        }

        Assert.True(pf.IsRunning, pf.Output);
        Assert.Equal(0, pf.Stop());
    }

    /// <summary>
    /// On deletion the exec preStop hook runs in the container (CRI ExecSync: its echo lands in the container's log)
    /// before StopContainer, and the grace period is honoured: the container, deaf to SIGTERM, is killed when the 4 s
    /// are over (hook included), not at once and not after the default 30 s.
    /// </summary>
    private void PreStopHookRunsWithinTheGracePeriod(Lab lab)
    {
        lab.Apply(Stopper);
        var netns = SandboxOf(lab, "node1", "stopper")["netns"]!.GetValue<string>();
        var log = Directory.GetFiles($"{lab.StateDir}/nodes/node1/kubelet/pods", "sleep.log", SearchOption.AllDirectories)
            .Single(f => f.Contains("_stopper_", StringComparison.Ordinal));
        var watch = Stopwatch.StartNew();
        lab.Kubectl("delete", "pod", "stopper", "--wait=false").EnsureSuccess("kubectl delete pod stopper");
        var ran = false;
        while (!ran && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            ran = File.Exists(log) && File.ReadAllText(log).Contains("prestop-ran", StringComparison.Ordinal);
            Thread.Sleep(100);
        }

        output.WriteLine($"preStop hook output in the log after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(ran, "the preStop hook's output never reached the container's log");
        while (File.Exists("/run/netns/" + netns) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(100);
        }

        output.WriteLine($"stopper's sandbox gone {watch.Elapsed.TotalSeconds:0.0} s after the delete");
        Assert.False(File.Exists("/run/netns/" + netns), "the stopper's sandbox is still there after 30 s");
        Assert.InRange(watch.Elapsed.TotalSeconds, 3.5, 20);
    }

    /// <summary>
    /// containerd's CNI ADD fails (node2's contiv-cni moved away): <c>kubectl describe pod</c> shows
    /// <c>FailedCreatePodSandBox</c> with containerd's error naming the plugin, and the pod starts once it is back.
    /// </summary>
    private void CniAddFailureIsDescribed(Lab lab)
    {
        const string orphan = """
            apiVersion: v1
            kind: Pod
            metadata: {name: orphan, namespace: default}
            spec:
              nodeName: node2
              terminationGracePeriodSeconds: 1
              containers:
                - name: sleep
                  image: busybox
                  command: ["sleep", "3600"]
            """;
        var plugin = lab.StateDir + "/nodes/node2/cni-bin/contiv-cni";
        var watch = Stopwatch.StartNew();
        File.Move(plugin, plugin + ".away");
        try
        {
            lab.Apply(orphan, wait: false);
            string Describe() => lab.Kubectl("describe", "pod", "orphan").StdOut;
            Assert.True(WorkloadChecks.Eventually(() => Describe().Contains("FailedCreatePodSandBox", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), Describe());
            Assert.Contains("contiv-cni", Describe(), StringComparison.Ordinal);
            Assert.NotEqual("Running", lab.PodField("orphan", "{.status.phase}"));
        }
        finally
        {
            File.Move(plugin + ".away", plugin);
        }

        Assert.True(WorkloadChecks.Eventually(() => lab.PodField("orphan", "{.status.phase}") == "Running", TimeSpan.FromSeconds(45)),
            lab.Kubectl("describe", "pod", "orphan").StdOut);
        output.WriteLine($"CNI ADD failure described, then the pod started: {watch.Elapsed.TotalSeconds:0.0} s");
        lab.Delete(orphan);
    }

    /// <summary>
    /// A Deployment of containers: Ready behind its Service, a headless Service resolving to its pods, and a rolling image
    /// update during which a client loop in the client pod sees every request answered; deleting it removes all.
    /// </summary>
    private void DeploymentRollsOutBehindItsServices(Lab lab)
    {
        var watch = Stopwatch.StartNew();
        lab.Apply(WebDeployment, wait: false);
        var rollout = WorkloadChecks.KubectlLong(lab, "rollout", "status", "deployment/webd", "--timeout=120s");
        Assert.True(rollout.ExitCode == 0, $"rollout: {rollout.StdOut}{rollout.StdErr}\n{lab.Diagnostics()}");
        output.WriteLine($"Deployment of 3 Ready: {watch.Elapsed.TotalSeconds:0.0} s");

        // The headless Service's name resolves to the ready pods (busybox nslookup: the addresses after "Name:").
        var podIps = new SortedSet<string>(lab.Kubectl("get", "pods", "-l", "app=webd", "-o", "jsonpath={.items[*].status.podIP}").StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        Assert.Equal(3, podIps.Count);
        SortedSet<string> Resolved()
        {
            var answer = lab.Kubectl("exec", "client", "--", "nslookup", "webd-pods").StdOut;
            var named = answer.IndexOf("Name:", StringComparison.Ordinal);
            return new SortedSet<string>(named < 0 ? [] : answer[named..].Split('\n').Where(l => l.StartsWith("Address:", StringComparison.Ordinal)).Select(l => l["Address:".Length..].Trim()), StringComparer.Ordinal);
        }

        SortedSet<string> resolved = [];
        Assert.True(WorkloadChecks.Eventually(() => (resolved = Resolved()).SetEquals(podIps), TimeSpan.FromSeconds(20)),
            $"webd-pods resolved to {string.Join(',', resolved)}, pods {string.Join(',', podIps)}");

        // busybox wget (no -T: it crashes with it) by the Service's short name, one line "r <exit code>" per request.
        watch.Restart();
        WorkloadChecks.RollingUpdateKeepsAnswering(lab, "client", "webd", "app=webd", 3, "wget -q -O /dev/null http://webd/; echo \"r $?\"", "r 0", "green");
        output.WriteLine($"rolling update with the client loop: {watch.Elapsed.TotalSeconds:0.0} s");

        // kubectl scale: five Ready containers over both nodes, the Service's endpoints follow.
        watch.Restart();
        lab.Kubectl("scale", "deployment", "webd", "--replicas=5").EnsureSuccess("kubectl scale deployment webd");
        string[] ReadyNodes() => lab.Kubectl("get", "pods", "-l", "app=webd", "-o",
                "jsonpath={range .items[*]}{.spec.nodeName} {.status.containerStatuses[0].ready}{\"\\n\"}{end}").StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.EndsWith(" true", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToArray();
        Assert.True(WorkloadChecks.Eventually(() => ReadyNodes().Length == 5, TimeSpan.FromSeconds(60)),
            lab.Kubectl("get", "pods", "-l", "app=webd", "-o", "wide").StdOut);
        Assert.Equal(2, ReadyNodes().Distinct().Count());
        Assert.True(WorkloadChecks.Eventually(() => lab.Kubectl("get", "endpoints", "webd", "-o", "jsonpath={.subsets[*].addresses[*].ip}").StdOut
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 5, TimeSpan.FromSeconds(20)), lab.Kubectl("get", "endpoints", "webd", "-o", "yaml").StdOut);
        output.WriteLine($"scale 3 → 5: {watch.Elapsed.TotalSeconds:0.0} s");

        lab.Kubectl("delete", "deployment", "webd").EnsureSuccess("kubectl delete deployment webd");
        Assert.True(WorkloadChecks.Eventually(() => lab.Kubectl("get", "pods,replicasets", "-l", "app=webd", "-o", "name").StdOut.Trim().Length == 0, TimeSpan.FromSeconds(60)),
            lab.Kubectl("get", "pods,replicasets", "-l", "app=webd", "-o", "wide").StdOut);
        lab.Kubectl("delete", "service", "webd", "webd-pods").EnsureSuccess("kubectl delete service webd webd-pods");
    }

    /// <summary>
    /// <c>kubectl logs</c> shows stdout and stderr, and a 20000-character line — which containerd splits into a P record
    /// (its 16 KiB maximum) and an F record — as one line.
    /// </summary>
    private static void LogsJoinPartialRecords(Lab lab)
    {
        var file = Directory.GetFiles($"{lab.StateDir}/nodes/node1/kubelet/pods", "talk.log", SearchOption.AllDirectories).Single();
        Assert.Contains(" stdout P ", File.ReadAllText(file), StringComparison.Ordinal);

        var logs = lab.Kubectl("logs", "talker").EnsureSuccess("kubectl logs talker").StdOut;
        var lines = logs.Split('\n');
        Assert.Contains("hello-from-stdout", lines);
        Assert.Contains("hello-from-stderr", lines);
        Assert.Contains(new string('x', 20000), lines);
        Assert.DoesNotContain(lines, l => l.Contains("stdout", StringComparison.Ordinal) && l.Contains('x'));
    }

    /// <summary>A pod failing its readiness probe stays out of the Service's endpoints and joins once the probe passes.</summary>
    private void ReadinessGatesTheEndpoints(Lab lab)
    {
        lab.Apply(GatedWeb, wait: false);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var ip = string.Empty;
        while (DateTime.UtcNow < deadline && (ip.Length == 0 || lab.PodField("gate", "{.status.phase}") != "Running"))
        {
            Thread.Sleep(500);
            ip = lab.PodField("gate", "{.status.podIP}");
        }

        Assert.True(ip.Length > 0, "the gated pod got no IP");
        string Ready() => lab.PodField("gate", "{.status.containerStatuses[0].ready}");
        string Addresses() => lab.Kubectl("get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}").EnsureSuccess("kubectl get endpoints web").StdOut;

        // Several probe periods: the probe keeps failing (404), the pod stays unready and out of the endpoints.
        Thread.Sleep(4000);
        Assert.Equal("false", Ready());
        Assert.DoesNotContain(ip, Addresses().Split(' '));
        var events = lab.Kubectl("get", "events", "--field-selector", "involvedObject.name=gate", "-o", "jsonpath={.items[*].message}").StdOut;
        Assert.Contains("Readiness probe failed", events, StringComparison.Ordinal);

        // The file the probe asks for appears inside the container: ready, and in the endpoints.
        lab.Kubectl("exec", "gate", "--", "sh", "-c", "echo ok > /www/ready.html").EnsureSuccess("kubectl exec gate -- create /www/ready.html");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20) && !Addresses().Split(' ').Contains(ip))
        {
            Thread.Sleep(250);
        }

        output.WriteLine($"gated pod in the endpoints {watch.Elapsed.TotalSeconds:0.0} s after its probe could pass");
        Assert.Contains(ip, Addresses().Split(' '));
        Assert.Equal("true", Ready());

        // The exec liveness probe (CRI ExecSync) passes all along: no restart.
        Assert.Equal("0", lab.PodField("gate", "{.status.containerStatuses[0].restartCount}"));
    }

    private static JsonObject SandboxOf(Lab lab, string node, string pod)
    {
        foreach (var file in Directory.GetFiles($"{lab.StateDir}/nodes/{node}/kubelet/sandboxes", "*.json"))
        {
            if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject record && record["podName"]?.GetValue<string>() == pod)
            {
                return record;
            }
        }

        throw new InvalidOperationException($"no sandbox record of {pod} on {node}");
    }

    /// <summary>Processes whose command line names <paramref name="text"/> (containerd, its shims, the lab's daemons).</summary>
    private static List<string> ProcessesNaming(string text)
    {
        var found = new List<string>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{pid} {cmdline}");
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }

    private static List<string> Namespaces() => Shell.Run("ip netns list").StdOut
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => l.Split(' ')[0])
        .ToList();
}
