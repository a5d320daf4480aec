using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Contiv.Testing;
using Xunit.Abstractions;

namespace Contiv.E2E.Tests;

/// <summary>
/// The fault-injection suite: <c>kill -9</c> of one daemon while pods are created and deleted every second and a TCP
/// stream runs from client2 (node2) to web1 (node1). Nothing restarts the daemon but the lab's supervisor; afterwards
/// the full connectivity matrix passes, every allocated pod IP belongs to exactly one running pod and vice versa, and
/// the stream's connection survives where the killed daemon is not on its data path. Recovery times are printed
/// (fault, survived, restart and recovery seconds) for docs/security.md's "Faults" table.
/// </summary>
[Collection(SharedContivLabCollection.Name)]
public sealed class FaultInjectionTests(FaultLabFixture fixture, ITestOutputHelper output) : IClassFixture<FaultLabFixture>
{
    private const int StreamPort = 9009;

    private Lab Lab => fixture.Lab;

    [RootFact]
    public void Kill_9_of_a_nodes_data_plane() => Inject("vpp-node2", streamMustSurvive: false);

    [RootFact]
    public void Kill_9_of_a_nodes_agent() => Inject("agent-node2", streamMustSurvive: true);

    [RootFact]
    public void Kill_9_of_ksr() => Inject("ksr", streamMustSurvive: true);

    [RootFact]
    public void Kill_9_of_etcd() => Inject("etcd", streamMustSurvive: true);

    [RootFact]
    public void Kill_9_of_the_api_server() => Inject("apiserver", streamMustSurvive: true);

    /// <summary>A whole node dies at once: its data plane, agent and kubelet (every daemon the node's namespace runs).</summary>
    [RootFact]
    public void Kill_9_of_a_whole_node() => Inject("node2", streamMustSurvive: false, "vpp-node2", "agent-node2", "kubelet-node2");

    private void Inject(string component, bool streamMustSurvive) => Inject(component, streamMustSurvive, component);

    private void Inject(string component, bool streamMustSurvive, params string[] daemons)
    {
        Assert.True(fixture.StartError is null, fixture.StartError);
        CheckEventually(TimeSpan.FromSeconds(60), "before the fault");
        var stopFile = Path.Combine(Path.GetTempPath(), $"cle2ef-stream-{component}-{Guid.NewGuid():N}");
        using var server = StartInPod("web1", EchoServer);
        Thread.Sleep(500);
        using var stream = StartInPod("client2", StreamClient(Lab.PodField("web1", "{.status.podIP}"), stopFile));
        using var churnStop = new CancellationTokenSource();
        var churn = Task.Run(() => Churn(component, churnStop.Token));
        try
        {
            Thread.Sleep(3000);
            var victims = daemons.Select(d => DaemonPid(d) ?? throw new InvalidOperationException($"{d} does not run:\n{Lab.Diagnostics()}")).ToArray();
            var killed = Stopwatch.StartNew();
            Shell.Run("kill", ["-9", .. victims.Select(v => v.ToString(CultureInfo.InvariantCulture))]).EnsureSuccess($"kill -9 {component}");

            // The supervisor restarts each: a new pid, running.
            for (var i = 0; i < daemons.Length; i++)
            {
                var (daemon, victim) = (daemons[i], victims[i]);
                Eventually(TimeSpan.FromSeconds(30), () => DaemonPid(daemon) is { } p && p != victim, $"{daemon} was not restarted after kill -9 of pid {victim}:\n{Lab.Diagnostics()}");
            }

            var restarted = killed.Elapsed;

            // Recovered: every pod reaches every pod and node again.
            CheckEventually(TimeSpan.FromSeconds(120), $"after kill -9 of {component}");
            var recovered = killed.Elapsed;
            churnStop.Cancel();
            var churned = churn.GetAwaiter().GetResult();

            File.WriteAllText(stopFile, "stop");
            var streamResult = WaitOutput(stream, TimeSpan.FromSeconds(40));
            var survived = streamResult.StartsWith("OK", StringComparison.Ordinal);
            var status = Lab.Run("status").StdOut;
            Assert.Contains("restarts", status, StringComparison.Ordinal);

            DeleteChurnPods();
            AssertIpamMatchesPods();

            var row = $"| kill -9 {component} | yes | {(survived ? "survived" : "broken: " + streamResult.Trim())} | {restarted.TotalSeconds:F1} s | {recovered.TotalSeconds:F1} s | {churned} |";
            output.WriteLine("| fault | recovered | TCP stream client2→web1 | restarted after | all pods connected after | pods churned |");
            output.WriteLine(row);
            File.AppendAllText(Path.Combine(Path.GetTempPath(), "contiv-fault-injection.md"), row + "\n");
            if (streamMustSurvive)
            {
                Assert.True(survived, $"the TCP stream client2→web1 broke although {component} is not on its path: {streamResult}");
            }
        }
        finally
        {
            churnStop.Cancel();
            File.WriteAllText(stopFile, "stop");
            Stop(stream);
            Stop(server);
            File.Delete(stopFile);
        }
    }

    /// <summary>Creates a pod every second on alternating nodes and deletes the one created three seconds earlier; returns how many it created.</summary>
    private int Churn(string component, CancellationToken stop)
    {
        var created = 0;
        var names = new Queue<string>();
        var prefix = "churn-" + component.Replace("-", string.Empty, StringComparison.Ordinal);
        while (!stop.IsCancellationRequested)
        {
            var name = $"{prefix}-{created}";
            var node = created % 2 == 0 ? "node1" : "node2";
            var yaml = $$"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: {{name}}
                  namespace: default
                  labels:
                    churn: "yes"
                spec:
                  nodeName: {{node}}
                  containers:
                    - name: sleep
                      image: none
                      command: ["sleep", "infinity"]

                """;
            // Errors are expected while the API server or etcd is down: the churn just goes on.
            if (Kubectl(yaml, "apply", "-f", "-").ExitCode == 0)
            {
                names.Enqueue(name);
                created++;
            }

            if (names.Count > 3)
            {
                Kubectl(null, "delete", "pod", names.Dequeue(), "--wait=false");
            }

            stop.WaitHandle.WaitOne(1000);
        }

        return created;
    }

    private void DeleteChurnPods()
        => Eventually(TimeSpan.FromSeconds(120), () =>
        {
            Kubectl(null, "delete", "pod", "-l", "churn=yes", "--wait=true", "--timeout=60s");
            return Kubectl(null, "get", "pod", "-l", "churn=yes", "-o", "name").StdOut.Trim().Length == 0;
        }, $"churn pods not deleted:\n{Lab.Diagnostics()}");

    /// <summary>Every node's allocated pod IPs are exactly the IPs of the pods running on it, each pod with its own IP.</summary>
    private void AssertIpamMatchesPods()
    {
        string last = string.Empty;
        Eventually(TimeSpan.FromSeconds(60), () =>
        {
            using var pods = JsonDocument.Parse(Kubectl(null, "get", "pods", "-A", "-o", "json").EnsureSuccess("kubectl get pods").StdOut);
            var byNode = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var p in pods.RootElement.GetProperty("items").EnumerateArray())
            {
                var spec = p.GetProperty("spec");
                if (spec.TryGetProperty("hostNetwork", out var h) && h.GetBoolean())
                {
                    continue;
                }

                var node = spec.TryGetProperty("nodeName", out var n) ? n.GetString() ?? string.Empty : string.Empty;
                var ip = p.GetProperty("status").TryGetProperty("podIP", out var i) ? i.GetString() ?? string.Empty : string.Empty;
                if (ip.Length > 0)
                {
                    (byNode.TryGetValue(node, out var l) ? l : byNode[node] = []).Add(ip);
                }
            }

            var all = byNode.Values.SelectMany(l => l).ToList();
            if (all.Count != all.Distinct(StringComparer.Ordinal).Count())
            {
                last = $"duplicate pod IPs: {string.Join(", ", all.GroupBy(x => x, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))}";
                return false;
            }

            foreach (var node in new[] { "node1", "node2" })
            {
                var allocated = Allocated(node).Order(StringComparer.Ordinal).ToList();
                var running = (byNode.TryGetValue(node, out var l) ? l : []).Order(StringComparer.Ordinal).ToList();
                if (!allocated.SequenceEqual(running))
                {
                    last = $"{node}: IPAM holds [{string.Join(", ", allocated)}], running pods have [{string.Join(", ", running)}]";
                    return false;
                }
            }

            return true;
        }, () => $"IPAM and running pods disagree: {last}");
    }

    private List<string> Allocated(string node)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Lab.StateDir + "/state.json"));
        var port = state.RootElement.GetProperty("nodes").EnumerateArray().First(n => n.GetProperty("name").GetString() == node).GetProperty("restPort").GetInt32();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var doc = JsonDocument.Parse(http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/contiv/v1/ipam/allocations")).GetAwaiter().GetResult());
        var pods = doc.RootElement.EnumerateObject().First(p => p.Name.Equals("pods", StringComparison.OrdinalIgnoreCase)).Value;
        return pods.EnumerateArray().Select(p => p.EnumerateObject().First(f => f.Name.Equals("mainip", StringComparison.OrdinalIgnoreCase)).Value.GetString()!).ToList();
    }

    /// <summary>The daemon's own pid as its supervisor reports it (null while none runs).</summary>
    private int? DaemonPid(string component)
    {
        var file = $"{Lab.StateDir}/supervise/{component}.json";
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var pid = doc.RootElement.GetProperty("pid").GetInt32();
            var state = doc.RootElement.GetProperty("state").GetString();
            return pid > 0 && state == "Running" && Directory.Exists($"/proc/{pid}") ? pid : null;
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    private CommandResult Kubectl(string? stdin, params string[] args)
        => Shell.Run("kubectl", args, stdin, new Dictionary<string, string?> { ["KUBECONFIG"] = Lab.StateDir + "/kubeconfig" }, TimeSpan.FromSeconds(90));

    private void CheckEventually(TimeSpan timeout, string when)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // While the API server is down the check cannot list the pods and prints no report: just try again.
            var r = Lab.Run("check", "--json");
            var start = r.StdOut.IndexOf('{', StringComparison.Ordinal);
            var report = start < 0 ? null : JsonSerializer.Deserialize<CheckJson>(r.StdOut[start..], new JsonSerializerOptions { PropertyNameCaseInsensitive = true });
            if (r.ExitCode == 0 && report is { Passed: true })
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"connectivity check still failing {when} after {timeout.TotalSeconds:0}s: {report?.Summary ?? "no report"}\n{r.StdOut}\n{r.StdErr}\n{Lab.Diagnostics()}");
            }

            Thread.Sleep(500);
        }
    }

    private Process StartInPod(string pod, string script)
    {
        var netns = Shell.Run("ip netns list").StdOut.Split('\n').Select(l => l.Split(' ')[0])
            .FirstOrDefault(n => n.StartsWith($"{Lab.NetnsPrefix}pod-{pod}-", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no network namespace for pod {pod}");
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, "python3", "-u", "-c", script })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    private static string WaitOutput(Process p, TimeSpan timeout)
    {
        if (!p.WaitForExit(timeout))
        {
            return "no result: the stream client hung";
        }

        return (p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd()).Trim();
    }

    private static void Stop(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static void Eventually(TimeSpan timeout, Func<bool> condition, string message) => Eventually(timeout, condition, () => message);

    private static void Eventually(TimeSpan timeout, Func<bool> condition, Func<string> message)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message());
            Thread.Sleep(500);
        }
    }

    private static readonly string EchoServer = $$"""
        import socketserver
        class Echo(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    self.wfile.write(line)
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer(("0.0.0.0", {{StreamPort}}), Echo).serve_forever()
        """;

    private static string StreamClient(string ip, string stopFile) => $$"""
        import os, socket, time
        n = 0
        try:
            s = socket.create_connection(("{{ip}}", {{StreamPort}}), timeout=5)
            s.settimeout(60)
            f = s.makefile("rb")
            while not os.path.exists("{{stopFile}}"):
                s.sendall(b"x" * 100 + b"\n")
                if len(f.readline()) != 101:
                    raise Exception("connection closed by the peer")
                n += 1
                time.sleep(0.05)
            print("OK", n, "round trips")
        except Exception as e:
            print("BROKEN after", n, "round trips:", e)
        """;
}
