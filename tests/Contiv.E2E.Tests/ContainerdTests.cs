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
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
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
            output.WriteLine($"3 pods Ready: {watch.Elapsed.TotalSeconds:0.0} s");

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

            // The kubelet stand-in ran no CNI plugin itself (its own call log stays empty).
            foreach (var node in new[] { "node1", "node2" })
            {
                var own = $"{lab.StateDir}/nodes/{node}/kubelet/cni.log";
                Assert.False(File.Exists(own) && File.ReadAllText(own).Contains("ADD", StringComparison.Ordinal), "the kubelet called CNI itself: " + own);
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
