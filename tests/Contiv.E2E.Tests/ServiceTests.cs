using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// End-to-end: Kubernetes Services implemented by the vSwitch (agent service renderer → data plane
/// NAT44), seen from pods and node hosts in the lab (docs/services.md, docs/nat44.md). Backends say
/// who answered and which client address they saw (<see cref="ServiceManifests.WhoAmIServer"/>).
/// </summary>
[Collection(SharedContivLabCollection.Name)]
public sealed class ServiceTests(ServicesLabFixture fixture) : IClassFixture<ServicesLabFixture>
{
    private static readonly string[] Backends = ["who1a", "who1b", "who2a"];

    private Lab Lab => fixture.Lab;

    [RootFact]
    public void A_cluster_ip_reaches_backends_on_the_same_and_the_other_node_from_pods_and_node_hosts()
    {
        RequireLab();
        var vip = ClusterIp("who");
        foreach (var client in new[] { "cli1", "cli2" })
        {
            var netns = PodNetns(client);
            WaitServing(netns, "tcp", vip, 80);
            var answers = Ask(netns, "tcp", vip, 80, 60);
            Assert.All(answers, a => Assert.True(a.Ok, $"{client} → {vip}:80: {a}"));
            var seen = answers.Select(a => a.Who).ToHashSet();
            Assert.True(seen.Overlaps(["who1a", "who1b"]) && seen.Contains("who2a"), $"{client} → {vip}:80 in 60 connections reached only {string.Join(", ", seen)}; expected backends on node1 and node2");

            // A ClusterIP keeps the client's address (self-twice-NAT rewrites the source only for hairpin).
            var ip = Lab.PodField(client, "{.status.podIP}");
            Assert.All(answers, a => Assert.Equal(ip, a.ClientIp));
        }

        // Node hosts reach ClusterIPs through the data plane (routeServiceCIDRToVPP).
        foreach (var node in new[] { "node1", "node2" })
        {
            var netns = Lab.NetnsPrefix + node;
            WaitServing(netns, "tcp", vip, 80);
            var answers = Ask(netns, "tcp", vip, 80, 20);
            Assert.All(answers, a => Assert.True(a.Ok && Backends.Contains(a.Who), $"host/{node} → {vip}:80: {a}"));
        }
    }

    [RootFact]
    public void A_node_port_answers_on_every_node_ip_from_every_node_host()
    {
        RequireLab();
        foreach (var from in new[] { "node1", "node2" })
        {
            var netns = Lab.NetnsPrefix + from;
            foreach (var (node, ip) in NodeIps())
            {
                WaitServing(netns, "tcp", ip, ServiceManifests.ClusterNodePort);
                var answers = Ask(netns, "tcp", ip, ServiceManifests.ClusterNodePort, 10);
                Assert.All(answers, a => Assert.True(a.Ok && Backends.Contains(a.Who), $"host/{from} → {node}'s {ip}:{ServiceManifests.ClusterNodePort}: {a}"));
            }
        }
    }

    [RootFact]
    public void External_traffic_policy_local_serves_only_local_backends_and_keeps_the_client_address()
    {
        RequireLab();
        var local = new Dictionary<string, string[]> { ["node1"] = ["who1a", "who1b"], ["node2"] = ["who2a"] };
        foreach (var from in new[] { "node1", "node2" })
        {
            var netns = Lab.NetnsPrefix + from;
            var ownAddresses = HostAddresses(netns);
            foreach (var (node, ip) in NodeIps())
            {
                WaitServing(netns, "tcp", ip, ServiceManifests.LocalNodePort);
                var answers = Ask(netns, "tcp", ip, ServiceManifests.LocalNodePort, 20);
                foreach (var a in answers)
                {
                    Assert.True(a.Ok, $"host/{from} → {node}'s {ip}:{ServiceManifests.LocalNodePort}: {a}");
                    Assert.True(local[node].Contains(a.Who), $"host/{from} → {node}'s {ip}:{ServiceManifests.LocalNodePort} (externalTrafficPolicy Local) answered by {a.Who}, not one of {node}'s backends {string.Join(", ", local[node])}");
                    Assert.True(ownAddresses.Contains(a.ClientIp), $"the backend saw client {a.ClientIp}, not one of host/{from}'s addresses ({string.Join(", ", ownAddresses)}): the source was rewritten");
                }
            }
        }
    }

    [RootFact]
    public void Client_ip_affinity_pins_100_connections_to_one_backend_and_without_it_they_spread()
    {
        RequireLab();
        var netns = PodNetns("cli2");
        var affinity = ClusterIp("who-aff");
        WaitServing(netns, "tcp", affinity, 80);
        var pinned = Ask(netns, "tcp", affinity, 80, 100);
        Assert.All(pinned, a => Assert.True(a.Ok, $"cli2 → who-aff {affinity}:80: {a}"));
        var pinnedTo = pinned.Select(a => a.Who).Distinct().ToList();
        Assert.True(pinnedTo.Count == 1, $"sessionAffinity ClientIP: 100 connections from cli2 landed on {string.Join(", ", pinned.GroupBy(a => a.Who).Select(g => $"{g.Key} ×{g.Count()}"))}");

        // Without affinity: 150 connections over three equally weighted backends (cli2 is on node2,
        // who2a is its local backend with serviceLocalEndpointWeight 1, like the remote ones).
        var vip = ClusterIp("who");
        WaitServing(netns, "tcp", vip, 80);
        var spread = Ask(netns, "tcp", vip, 80, 150);
        Assert.All(spread, a => Assert.True(a.Ok, $"cli2 → who {vip}:80: {a}"));
        var counts = Backends.Select(b => spread.Count(a => a.Who == b)).ToArray();
        var expected = spread.Count / 3.0;
        var chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);

        // χ² with 2 degrees of freedom exceeds 13.82 with probability 0.001 under a uniform pick.
        Assert.True(chiSquare < 13.82, $"150 connections without affinity: {string.Join(", ", Backends.Zip(counts, (b, c) => $"{b} ×{c}"))}, χ² = {chiSquare:0.0} ≥ 13.82 (not a uniform spread)");
    }

    [RootFact]
    public void A_backend_reaches_its_own_service_hairpin()
    {
        RequireLab();
        var netns = PodNetns("who1a");
        var vip = ClusterIp("who");
        WaitServing(netns, "tcp", vip, 80);
        var answers = Ask(netns, "tcp", vip, 80, 40);
        Assert.All(answers, a => Assert.True(a.Ok, $"who1a → its own Service {vip}:80: {a}"));

        // Some of 40 connections land on who1a itself (probability of none: (2/3)^40 ≈ 1e-7); those
        // only work when the source is rewritten (self-twice-NAT), else the reply would stay inside the pod.
        var self = answers.Where(a => a.Who == "who1a").ToList();
        Assert.True(self.Count > 0, $"no connection of 40 from who1a to {vip}:80 was answered by who1a: {string.Join(", ", answers.Select(a => a.Who))}");
        var ownIp = Lab.PodField("who1a", "{.status.podIP}");
        Assert.All(self, a => Assert.NotEqual(ownIp, a.ClientIp));
    }

    [RootFact]
    public void A_service_without_endpoints_refuses_at_once()
    {
        RequireLab();
        var netns = PodNetns("cli1");
        var vip = ClusterIp("empty");
        Assert.Empty(Lab.Kubectl("get", "endpoints", "empty", "-o", "jsonpath={.subsets}").StdOut.Trim());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<Answer> answers;
        do
        {
            // Until the agent has rendered the empty mapping the VIP is unrouted (a timeout); then every attempt is refused.
            answers = Ask(netns, "tcp", vip, 80, 5);
        }
        while (!answers.All(a => a.Error == "ConnectionRefusedError") && DateTime.UtcNow < deadline && Pause());

        Assert.All(answers, a =>
        {
            Assert.Equal("ConnectionRefusedError", a.Error);
            Assert.True(a.Seconds < 0.5, $"refusal took {a.Seconds:0.000} s (expected at once, a RST, not a timeout)");
        });
    }

    [RootFact]
    public void A_udp_service_answers_through_its_cluster_ip()
    {
        RequireLab();
        var vip = ClusterIp("who");
        foreach (var client in new[] { "cli1", "cli2" })
        {
            var netns = PodNetns(client);

            // The client's socket is connected to VIP:81: only a reply with the VIP as source reaches it.
            WaitServing(netns, "udp", vip, 81);
            var answers = Ask(netns, "udp", vip, 81, 20);
            Assert.All(answers, a => Assert.True(a.Ok && Backends.Contains(a.Who), $"{client} → {vip}:81/udp: {a}"));
            Assert.Equal(Lab.PodField(client, "{.status.podIP}"), answers[0].ClientIp);
        }
    }

    [RootFact]
    public void An_icmp_port_unreachable_from_a_backend_reaches_the_client_with_the_service_address()
    {
        RequireLab();
        var netns = PodNetns("cli1");
        var vip = ClusterIp("unreach");

        // Nobody listens on the backends' UDP 9999: each backend answers ICMP port unreachable quoting
        // its own address. The kernel reports it on the client's socket (connected to VIP:83) only when
        // the data plane translated the quoted header back to VIP:83.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<Answer> answers;
        do
        {
            answers = Ask(netns, "udp", vip, 83, 5);
        }
        while (!answers.Any(a => a.Error == "ConnectionRefusedError") && DateTime.UtcNow < deadline && Pause());

        Assert.True(answers.Count(a => a.Error == "ConnectionRefusedError") >= 4, $"cli1 → {vip}:83/udp (no listener behind it): {string.Join("; ", answers)}");
        Assert.DoesNotContain(answers, a => a.Ok);
    }

    [RootFact]
    public void Scaling_a_service_from_1_to_300_endpoints_and_back_keeps_a_long_stream_to_a_surviving_backend()
    {
        RequireLab();
        var survivor = Lab.PodField("who1a", "{.status.podIP}");
        string[] others = [Lab.PodField("who1b", "{.status.podIP}"), Lab.PodField("who2a", "{.status.podIP}")];
        Lab.Apply(ServiceManifests.StreamService, wait: false);
        try
        {
            Lab.Apply(ServiceManifests.StreamEndpoints(survivor, others, 1), wait: false);
            var vip = ClusterIp("stream");
            var netns = PodNetns("cli2");
            WaitServing(netns, "tcp", vip, 82, expectEcho: true);

            using var stream = StartStream(netns, vip, 82, seconds: 40);
            Thread.Sleep(3000);
            Lab.Apply(ServiceManifests.StreamEndpoints(survivor, others, 300), wait: false);
            var last = $"{others[299 % others.Length]}:{20000 + 299}";
            Eventually(TimeSpan.FromSeconds(20), () => Vppctl("node2", "show nat44 static mappings").Contains(last, StringComparison.Ordinal),
                $"node2's data plane never listed the 300th backend {last} of {vip}:82");
            Thread.Sleep(5000);
            Lab.Apply(ServiceManifests.StreamEndpoints(survivor, others, 1), wait: false);
            Eventually(TimeSpan.FromSeconds(20), () => !Vppctl("node2", "show nat44 static mappings").Contains(last, StringComparison.Ordinal),
                $"node2's data plane still lists {last} after scaling {vip}:82 back to one backend");

            Assert.True(stream.WaitForExit(TimeSpan.FromSeconds(60)), "the stream client did not finish");
            var result = stream.StandardOutput.ReadToEnd().Trim();
            var parts = result.Split(' ');
            Assert.True(parts[0] == "OK", $"the stream through {vip}:82 to {survivor} broke while the Service scaled 1 → 300 → 1: {result}");
            var maxGap = double.Parse(parts[2], CultureInfo.InvariantCulture);
            Assert.True(maxGap < 2.0, $"the stream stalled for {maxGap:0.000} s while the Service scaled ({result})");
            Assert.True(int.Parse(parts[1], CultureInfo.InvariantCulture) > 200, $"too few echo rounds in 40 s: {result}");
        }
        finally
        {
            Lab.Delete(ServiceManifests.StreamService);
        }
    }

    [RootFact]
    public void The_check_passes_its_service_matrix_from_every_pod_and_node_host()
    {
        RequireLab();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var (code, report, raw) = Lab.Check();
            using var json = JsonDocument.Parse(raw[raw.IndexOf('{', StringComparison.Ordinal)..(raw.LastIndexOf('}') + 1)]);
            var targets = json.RootElement.GetProperty("serviceTargets").EnumerateArray().Select(t => t.GetProperty("label").GetString()!).ToList();
            var results = json.RootElement.GetProperty("serviceResults").EnumerateArray().ToList();
            var failed = results.Where(r => !r.GetProperty("tcp").GetBoolean()).Select(r => $"{r.GetProperty("from").GetString()}→{r.GetProperty("to").GetString()}").ToList();

            // who (ClusterIP), who-aff, who-np on the 2 data-plane IPs + its ClusterIP, who-local likewise.
            Assert.Contains("default/who:http", targets);
            Assert.DoesNotContain("default/who-np@node2-mgmt", targets);
            Assert.Contains("default/who-local@node1", targets);
            Assert.DoesNotContain(targets, t => t.StartsWith("default/empty", StringComparison.Ordinal));
            Assert.Equal(report.Endpoints.Count * targets.Count, results.Count);
            if (code == 0 && report.Passed && failed.Count == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"service matrix still failing after 60 s: {failed.Count}/{results.Count} failed: {string.Join(", ", failed)}\n{raw}\n{Lab.Diagnostics()}");
            Thread.Sleep(2000);
        }
    }

    private void RequireLab() => Assert.True(fixture.StartError is null, fixture.StartError);

    private string ClusterIp(string service)
        => Lab.Kubectl("get", "service", service, "-o", "jsonpath={.spec.clusterIP}").EnsureSuccess("kubectl get service " + service).StdOut.Trim();

    /// <summary>The namespace of a running pod (the kubelet names it <c>cl{instance}-pod-{name}-{id}</c>).</summary>
    private string PodNetns(string pod)
    {
        var prefix = $"{Lab.NetnsPrefix}pod-{pod}-";
        var line = Shell.Run("ip netns list").StdOut.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"no network namespace {prefix}* for pod {pod}");
        return line.Split(' ')[0];
    }

    /// <summary>Every node's data-plane IP (where NodePorts are served; management IPs belong to the node hosts' kernels).</summary>
    private List<(string Node, string Ip)> NodeIps()
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Lab.StateDir + "/state.json"));
        var list = new List<(string, string)>();
        foreach (var n in state.RootElement.GetProperty("nodes").EnumerateArray())
        {
            var name = n.GetProperty("name").GetString()!;
            list.Add((name, n.GetProperty("dataIp").GetString()!));
        }

        return list;
    }

    private static HashSet<string> HostAddresses(string netns)
        => Shell.Run("ip", ["-n", netns, "-4", "-o", "addr", "show"]).EnsureSuccess("ip addr in " + netns).StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3].Split('/')[0])
            .ToHashSet();

    /// <summary>Runs <see cref="ServiceManifests.Client"/> in a namespace.</summary>
    private static List<Answer> Ask(string netns, string mode, string ip, int port, int count)
    {
        var r = Shell.Run("ip", ["netns", "exec", netns, "python3", "-c", ServiceManifests.Client, mode, ip, port.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(10 + (count * 4)));
        Assert.True(r.ExitCode == 0, $"client in {netns} failed: {r.StdErr}");
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Answer.Parse).ToList();
    }

    /// <summary>Waits until the frontend answers once (the agent renders Services asynchronously).</summary>
    private void WaitServing(string netns, string mode, string ip, int port, bool expectEcho = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            bool ok;
            string last;
            if (expectEcho)
            {
                var r = Shell.Run("ip", ["netns", "exec", netns, "python3", "-c", ServiceManifests.StreamClient, ip, port.ToString(CultureInfo.InvariantCulture), "0.2"], timeout: TimeSpan.FromSeconds(15));
                last = r.StdOut.Trim();
                ok = last.StartsWith("OK", StringComparison.Ordinal);
            }
            else
            {
                var a = Ask(netns, mode, ip, port, 1)[0];
                last = a.ToString();
                ok = a.Ok;
            }

            if (ok)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{ip}:{port}/{mode} never answered from {netns} within 30 s (last: {last})\n{Lab.Diagnostics()}");
            Thread.Sleep(1000);
        }
    }

    private static Process StartStream(string netns, string ip, int port, int seconds)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, "python3", "-c", ServiceManifests.StreamClient, ip, port.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start the stream client");
    }

    private string Vppctl(string node, string command)
    {
        var args = new List<string> { "-s", $"{Lab.StateDir}/nodes/{node}/vpp-cli.sock" };
        args.AddRange(command.Split(' '));
        return Shell.Run(RepoPaths.Executable("contiv-vppctl"), args, timeout: TimeSpan.FromSeconds(20)).EnsureSuccess($"contiv-vppctl {command} on {node}").StdOut;
    }

    private static void Eventually(TimeSpan timeout, Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            Thread.Sleep(500);
        }
    }

    private static bool Pause()
    {
        Thread.Sleep(1000);
        return true;
    }

    /// <summary>One line of the client: who answered and whom it saw, or the error.</summary>
    private sealed record Answer(string Who, string ClientIp, string Error, double Seconds)
    {
        public bool Ok => Error.Length == 0;

        public static Answer Parse(string line)
        {
            var p = line.Trim().Split(' ');
            var seconds = double.Parse(p[^1], CultureInfo.InvariantCulture);
            return p[0] == "ERR" ? new Answer(string.Empty, string.Empty, p[1], seconds) : new Answer(p[0], p.Length > 2 ? p[1] : string.Empty, string.Empty, seconds);
        }

        public override string ToString() => Ok ? $"{Who} saw {ClientIp} ({Seconds:0.000} s)" : $"{Error} after {Seconds:0.000} s";
    }
}
