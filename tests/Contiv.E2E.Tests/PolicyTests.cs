using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// End-to-end NetworkPolicy truth tables, after the Kubernetes network-policy conformance cases (docs/policies.md):
/// for each case every (client, server, port) of the 3 × 3 grid of <see cref="PolicyManifests"/> is probed — all
/// clients at once, each probing every target in parallel with a short timeout — and compared with the case's expected
/// matrix, polling until the agents have rendered the change (or 30 s). Every case starts from no policy and removes
/// what it applied.
/// </summary>
[Collection(SharedContivLabCollection.Name)]
public sealed class PolicyTests(PolicyLabFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<PolicyLabFixture>
{
    private static readonly string[] BasicProbes = ["tcp/80", "tcp/81", "udp/80"];

    private Lab Lab => fixture.Lab;

    /// <summary>A grid pod: namespace, pod label, name.</summary>
    public sealed record GridPod(string Ns, string Pod, string Name, string Ip, string Netns)
    {
        public override string ToString() => $"{Ns}/{Name}";
    }

    [RootFact]
    public void Deny_all_ingress_isolates_every_pod_of_the_namespace()
    {
        WithPolicy(Policy("x", "deny-all", "{}", "policyTypes: [Ingress]"), () =>
        {
            Expect((c, s, _) => s.Ns != "x");

            // What the data plane holds (docs/policies.md shows it).
            foreach (var cmd in new[] { "show acl-plugin acl", "show acl-plugin interface" })
            {
                var r = Shell.Run(RepoPaths.Executable("contiv-vppctl"), ["-s", Lab.StateDir + "/nodes/node1/vpp-cli.sock", .. cmd.Split(' ')], timeout: TimeSpan.FromSeconds(20));
                output.WriteLine($"node1# {cmd}\n{r.StdOut}{r.StdErr}");
            }
        });
    }

    [RootFact]
    public void Ingress_from_a_pod_selector_admits_only_those_pods_of_the_policys_namespace()
    {
        WithPolicy(Policy("x", "a-from-b", "{matchLabels: {pod: a}}", "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]"), () =>
            Expect((c, s, _) => s.Name != "xa" || c.Name == "xb"));
    }

    [RootFact]
    public void Ingress_from_a_namespace_selector_admits_every_pod_of_those_namespaces()
    {
        WithPolicy(Policy("x", "a-from-y", "{matchLabels: {pod: a}}", "ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]"), () =>
            Expect((c, s, _) => s.Name != "xa" || c.Ns == "y"));
    }

    [RootFact]
    public void Pod_and_namespace_selector_in_one_peer_admit_only_their_intersection()
    {
        WithPolicy(Policy("x", "a-from-yc", "{matchLabels: {pod: a}}", "ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: c}}}]}]"), () =>
            Expect((c, s, _) => s.Name != "xa" || c.Name == "yc"));
    }

    [RootFact]
    public void Ingress_from_an_ip_block_with_except_admits_the_block_but_the_excepted_pod()
    {
        var yb = Grid().Single(p => p.Name == "yb");
        WithPolicy(Policy("x", "a-from-block", "{matchLabels: {pod: a}}", $"ingress: [{{from: [{{ipBlock: {{cidr: 10.1.0.0/16, except: [{yb.Ip}/32]}}}}]}}]"), () =>
            Expect((c, s, _) => s.Name != "xa" || c.Name != "yb"));
    }

    [RootFact]
    public void Egress_to_a_port_range_with_end_port_allows_only_that_range()
    {
        WithPolicy(Policy("x", "a-egress-81-85", "{matchLabels: {pod: a}}", "policyTypes: [Egress]\n  egress: [{ports: [{protocol: TCP, port: 81, endPort: 85}]}]"), () =>
            Expect((c, s, p) => c.Name != "xa" || p == "tcp/81"));
    }

    [RootFact]
    public void A_named_port_admits_only_the_port_the_pod_names_so()
    {
        WithPolicy(Policy("x", "a-named", "{matchLabels: {pod: a}}", "ingress: [{ports: [{protocol: TCP, port: serve-81-tcp}]}]"), () =>
            Expect((c, s, p) => s.Name != "xa" || p == "tcp/81"));
    }

    [RootFact]
    public void Udp_ingress_admits_udp_and_not_tcp_on_the_same_port()
    {
        WithPolicy(Policy("x", "a-udp-80", "{matchLabels: {pod: a}}", "ingress: [{ports: [{protocol: UDP, port: 80}]}]"), () =>
            Expect((c, s, p) => s.Name != "xa" || p == "udp/80"));
    }

    [RootFact]
    public void Sctp_ingress_is_matched_by_protocol_and_port()
    {
        string[] probes = ["tcp/80", "sctp/80"];
        RequireLab();
        ResetPolicies();
        Expect((c, s, p) => true, probes); // SCTP reaches every pod without policies
        WithPolicy(Policy("x", "a-sctp-80", "{matchLabels: {pod: a}}", "ingress: [{ports: [{protocol: SCTP, port: 80}]}]"), () =>
            Expect((c, s, p) => s.Name != "xa" || p == "sctp/80", probes));
    }

    [RootFact]
    public void A_deleted_policy_stops_isolating()
    {
        RequireLab();
        ResetPolicies();
        var policy = Policy("x", "deny-all-then-gone", "{}", "policyTypes: [Ingress]");
        Apply(policy);
        try
        {
            Expect((c, s, _) => s.Ns != "x");
        }
        finally
        {
            Lab.Delete(policy);
        }

        Expect((c, s, _) => true);
    }

    [RootFact]
    public void Relabelling_a_pod_moves_it_into_the_admitted_set()
    {
        WithPolicy(Policy("x", "a-from-b-relabel", "{matchLabels: {pod: a}}", "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]"), () =>
        {
            Expect((c, s, _) => s.Name != "xa" || c.Name == "xb");
            Lab.Kubectl("label", "pod", "-n", "x", "xc", "pod=b", "--overwrite").EnsureSuccess("relabel xc");
            try
            {
                Expect((c, s, _) => s.Name != "xa" || c.Name is "xb" or "xc");
            }
            finally
            {
                Lab.Kubectl("label", "pod", "-n", "x", "xc", "pod=c", "--overwrite").EnsureSuccess("label xc back");
            }

            Expect((c, s, _) => s.Name != "xa" || c.Name == "xb");
        });
    }

    [RootFact]
    public void Relabelling_a_namespace_admits_its_pods()
    {
        WithPolicy(Policy("x", "a-from-team", "{matchLabels: {pod: a}}", "ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]"), () =>
        {
            Expect((c, s, _) => s.Name != "xa");
            Lab.Kubectl("label", "namespace", "y", "team=blue").EnsureSuccess("label namespace y");
            try
            {
                Expect((c, s, _) => s.Name != "xa" || c.Ns == "y");
            }
            finally
            {
                Lab.Kubectl("label", "namespace", "y", "team-").EnsureSuccess("unlabel namespace y");
            }

            Expect((c, s, _) => s.Name != "xa");
        });
    }

    [RootFact]
    public void A_policy_added_while_a_connection_is_open_lets_it_continue_and_stops_new_ones()
    {
        RequireLab();
        ResetPolicies();
        Expect((c, s, _) => true);
        var grid = Grid();
        var ya = grid.Single(p => p.Name == "ya");
        var xa = grid.Single(p => p.Name == "xa");
        using var conn = StartLongConnection(ya.Netns, xa.Ip, 81, seconds: 12);
        var first = conn.StandardOutput.ReadLine();
        Assert.True(first == "CONNECTED", $"the long connection ya → xa:81 did not start: {first} {conn.StandardError.ReadToEnd()}");

        WithPolicy(Policy("x", "deny-all-late", "{}", "policyTypes: [Ingress]"), () =>
        {
            Expect((c, s, _) => s.Ns != "x"); // new connections obey the policy …
            Assert.True(conn.WaitForExit(30_000), "the long connection did not end");
            var last = conn.StandardOutput.ReadToEnd().Trim();
            Assert.True(last.StartsWith("OK", StringComparison.Ordinal), $"the connection open before the policy broke: {last}"); // … the open one continues
        });
    }

    private void RequireLab() => Assert.True(fixture.StartError is null, fixture.StartError);

    private static string Policy(string ns, string name, string podSelector, string spec) => $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
          podSelector: {podSelector}
          {spec}

        """;

    private void WithPolicy(string policy, Action body)
    {
        RequireLab();
        ResetPolicies();
        Expect((c, s, _) => true); // the grid is open before the case
        Apply(policy);
        try
        {
            body();
        }
        finally
        {
            Lab.Delete(policy);
        }
    }

    /// <summary>
    /// Removes what an earlier case may have left behind (a case whose cleanup failed must not fail the next ones):
    /// every policy of the grid's namespaces, the relabelled pod's and namespace's labels.
    /// </summary>
    private void ResetPolicies()
    {
        foreach (var ns in PolicyManifests.Namespaces)
        {
            Lab.Kubectl("delete", "networkpolicy", "--all", "-n", ns).EnsureSuccess("delete policies in " + ns);
        }

        Lab.Kubectl("label", "pod", "-n", "x", "xc", "pod=c", "--overwrite").EnsureSuccess("label xc");
        Lab.Kubectl("label", "namespace", "y", "ns=y", "team-", "--overwrite");
    }

    /// <summary>Applies a policy; once more when the lab's apply gave up (a loaded machine stalls it now and then).</summary>
    private void Apply(string policy)
    {
        try
        {
            Lab.Apply(policy, wait: false);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            output.WriteLine("apply failed, retrying: " + e.Message.Split('\n')[0]);
            Lab.Apply(policy, wait: false);
        }
    }

    /// <summary>The grid pods with their IPs and namespaces (looked up once per lab).</summary>
    private List<GridPod> Grid()
    {
        RequireLab();
        if (fixture.Pods is { } known)
        {
            return known;
        }

        using var state = JsonDocument.Parse(File.ReadAllText(Lab.StateDir + "/state.json"));
        var netns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in state.RootElement.GetProperty("nodes").EnumerateArray())
        {
            var dir = Path.Combine(n.GetProperty("dir").GetString()!, "kubelet", "sandboxes");
            foreach (var f in Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json") : [])
            {
                using var sb = JsonDocument.Parse(File.ReadAllText(f));
                var r = sb.RootElement;
                netns[$"{Str(r, "PodNamespace")}/{Str(r, "PodName")}"] = Str(r, "Netns");
            }
        }

        var pods = new List<GridPod>();
        foreach (var (ns, pod, name) in PolicyManifests.Grid)
        {
            var ip = Lab.Kubectl("get", "pod", "-n", ns, name, "-o", "jsonpath={.status.podIP}").EnsureSuccess("kubectl get pod " + name).StdOut.Trim();
            Assert.True(netns.TryGetValue($"{ns}/{name}", out var n), $"no sandbox record for {ns}/{name}");
            pods.Add(new GridPod(ns, pod, name, ip, n));
        }

        fixture.Pods = pods;
        return pods;
    }

    private static string Str(JsonElement e, string name) =>
        e.EnumerateObject().First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value.GetString() ?? string.Empty;

    /// <summary>
    /// Probes the whole grid until it matches <paramref name="expected"/> (client, server, probe) or 30 s pass; fails
    /// with every pair that differs.
    /// </summary>
    private void Expect(Func<GridPod, GridPod, string, bool> expected, string[]? probes = null)
    {
        probes ??= BasicProbes;
        var grid = Grid();
        var deadline = Stopwatch.StartNew();
        List<string> wrong;
        while (true)
        {
            var actual = ProbeAll(grid, probes);
            wrong = [];
            foreach (var c in grid)
            {
                foreach (var s in grid)
                {
                    if (c == s)
                    {
                        continue;
                    }

                    foreach (var p in probes)
                    {
                        var want = expected(c, s, p);
                        var got = actual[(c.Name, s.Name, p)];
                        if (want != got)
                        {
                            wrong.Add($"{c} → {s} {p}: expected {(want ? "allowed" : "blocked")}, was {(got ? "allowed" : "blocked")}");
                        }
                    }
                }
            }

            if (wrong.Count == 0 || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                break;
            }

            Thread.Sleep(500);
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {grid.Count * (grid.Count - 1) * probes.Length} probes differ from the expected matrix after 30 s:\n{string.Join('\n', wrong)}");
    }

    private static Dictionary<(string Client, string Server, string Probe), bool> ProbeAll(List<GridPod> grid, string[] probes)
    {
        var result = new Dictionary<(string, string, string), bool>();
        var runs = grid.Select(c => Task.Run(() =>
        {
            var targets = grid.Where(s => s != c).SelectMany(s => probes.Select(p => $"{s.Ip}/{p}")).ToList();
            var r = Shell.Run("ip", ["netns", "exec", c.Netns, "python3", "-c", PolicyManifests.Prober, "1", .. targets], timeout: TimeSpan.FromSeconds(20));
            return (Client: c, Output: r);
        })).ToArray();
        Task.WaitAll(runs);
        var byIp = grid.ToDictionary(p => p.Ip, StringComparer.Ordinal);
        foreach (var (c, r) in runs.Select(t => t.Result))
        {
            Assert.True(r.ExitCode == 0, $"prober in {c.Netns} failed: {r.StdErr}");
            foreach (var line in r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                var t = parts[0].Split('/', 2);
                result[(c.Name, byIp[t[0]].Name, t[1])] = parts[1] == "1";
            }
        }

        return result;
    }

    private static Process StartLongConnection(string netns, string ip, int port, int seconds)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in new[] { "netns", "exec", netns, "python3", "-c", PolicyManifests.LongConnection, ip, port.ToString(System.Globalization.CultureInfo.InvariantCulture), seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("ip netns exec did not start");
    }
}
