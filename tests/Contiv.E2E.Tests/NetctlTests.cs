using System.Text.Json;
using System.Text.RegularExpressions;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// contiv-netctl against a running three-node lab (<see cref="NetctlLabFixture"/>), run the way an
/// operator does (<c>eval "$(contiv-lab env)"; contiv-netctl …</c>): golden outputs with times, IDs
/// and interface indexes normalised, the error cases, and topology validation before, during and
/// after faults made by hand (docs/netctl.md).
/// </summary>
public sealed partial class NetctlTests(NetctlLabFixture fixture) : IClassFixture<NetctlLabFixture>
{
    private static readonly TimeSpan HealTimeout = TimeSpan.FromSeconds(90);

    private Lab Lab => fixture.Lab;

    [RootFact]
    public void Nodes_lists_every_node_with_its_agent_state()
    {
        var r = Ok("nodes");

        Assert.Equal(
            [
                "ID|NODE-NAME|VPP-IP|HOST-IP|START-TIME|STATE|BUILD-VERSION|BUILD-DATE",
                "1|node1|192.168.16.1/24|192.168.56.1|<TIME>|OK|<VERSION>|<TIME>",
                "2|node2|192.168.16.2/24|192.168.56.2|<TIME>|OK|<VERSION>|<TIME>",
                "3|node3|192.168.16.3/24|192.168.56.3|<TIME>|OK|<VERSION>|<TIME>",
            ],
            Rows(r, row => row.Length == 8 && row[0] != "ID" ? [.. row[..4], Time(row[4]), row[5], "<VERSION>", Time(row[7])] : row));
    }

    [RootFact]
    public void Ipam_shows_every_node_or_one()
    {
        string[] header = ["ID|NODE-NAME|VPP-IP|BVI-IP|POD-CIDR|VPP-2-HOST-CIDR|POD-CLUSTER-CIDR"];
        Assert.Equal(
            [
                .. header,
                "1|node1|192.168.16.1|192.168.30.1/24|10.1.1.0/24|172.30.1.0/24|10.1.0.0/16",
                "2|node2|192.168.16.2|192.168.30.2/24|10.1.2.0/24|172.30.2.0/24|10.1.0.0/16",
                "3|node3|192.168.16.3|192.168.30.3/24|10.1.3.0/24|172.30.3.0/24|10.1.0.0/16",
            ],
            Rows(Ok("ipam"), row => row));
        Assert.Equal([.. header, "2|node2|192.168.16.2|192.168.30.2/24|10.1.2.0/24|172.30.2.0/24|10.1.0.0/16"], Rows(Ok("ipam", "node2"), row => row));
    }

    [RootFact]
    public void Pods_shows_each_nodes_pods_with_their_tap()
    {
        static string[] Norm(string[] row) => row.Length == 5 && row[0] != "POD-NAME" ? [row[0], row[1], row[2], Regex.IsMatch(row[3], "^([0-9]+|-)$") ? "<IDX>" : row[3], TapRegex().Replace(row[4], "vpp-tap-<ID>")] : row;

        Assert.Equal(["node2:", "POD-NAME|NAMESPACE|POD-IP|IF-IDX|IF-NAME", "p2|default|10.1.2.2|<IDX>|vpp-tap-<ID>"], Rows(Ok("pods", "node2"), Norm));
        var all = Rows(Ok("pods"), Norm);
        Assert.Equal(
            [
                "node1:", "POD-NAME|NAMESPACE|POD-IP|IF-IDX|IF-NAME", "p1|default|10.1.1.2|<IDX>|vpp-tap-<ID>",
                "node2:", "POD-NAME|NAMESPACE|POD-IP|IF-IDX|IF-NAME", "p2|default|10.1.2.2|<IDX>|vpp-tap-<ID>",
                "node3:", "POD-NAME|NAMESPACE|POD-IP|IF-IDX|IF-NAME", "p3|default|10.1.3.2|<IDX>|vpp-tap-<ID>",
            ],
            all);
    }

    [RootFact]
    public void Vppdump_lists_descriptors_and_dumps_one_as_json()
    {
        var index = JsonSerializer.Deserialize<string[]>(Ok("vppdump", "node1"))!;
        Assert.Superset(new HashSet<string> { "vpp-interface", "vpp-bridge-domain", "vpp-l2-fib", "vpp-arp", "vpp-route", "linux-interface" }, index.ToHashSet());

        // Members in name order (the data plane lists them in the order the tunnels were made).
        var bd = System.Text.Json.Nodes.JsonNode.Parse(Ok("vppdump", "node1", "vpp-bridge-domain"))!;
        var members = bd[0]!["Value"]!["interfaces"]!.AsArray();
        var sorted = members.OrderBy(m => (string?)m!["name"], StringComparer.Ordinal).Select(m => m!.DeepClone()).ToArray();
        members.Clear();
        foreach (var m in sorted)
        {
            members.Add(m);
        }

        var golden = """
            [{"Key":"vpp/bd/vxlanBD","Value":{"id":1,"name":"vxlanBD","forward":true,"interfaces":[
              {"name":"vxlan-default-2","split_horizon_group":1},
              {"name":"vxlan-default-3","split_horizon_group":1},
              {"name":"vxlanBVI","bridged_virtual_interface":true,"split_horizon_group":1}]}}]
            """;
        Assert.True(JsonEquals(golden, bd.ToJsonString()), bd.ToJsonString());

        using var linux = JsonDocument.Parse(Ok("vppdump", "node2", "linux-interface"));
        var vpp1 = linux.RootElement.EnumerateArray().Single(e => e.GetProperty("Key").GetString() == "linux/interface/host/vpp1").GetProperty("Value");
        Assert.Equal("172.30.2.2/24", vpp1.GetProperty("ip_addresses")[0].GetString());
    }

    [RootFact]
    public void Vppcli_runs_a_show_command_on_the_named_node()
    {
        var lines = Ok("vppcli", "node3", "show", "vxlan", "tunnel").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Regex.Replace(l, @"(\[|instance |fib-idx |sw-if-idx |encap-dpo-idx )\d+", "$1<N>")).Order(StringComparer.Ordinal);
        Assert.Equal(
            [
                "[<N>] instance <N> src 192.168.16.3 dst 192.168.16.1 src_port 4789 dst_port 4789 vni 10 fib-idx <N> sw-if-idx <N> encap-dpo-idx <N>",
                "[<N>] instance <N> src 192.168.16.3 dst 192.168.16.2 src_port 4789 dst_port 4789 vni 10 fib-idx <N> sw-if-idx <N> encap-dpo-idx <N>",
            ],
            lines);
    }

    [RootFact]
    public void Every_command_has_help()
    {
        foreach (var c in new[] { "nodes", "ipam", "pods", "vppdump", "vppcli", "validate" })
        {
            var r = Netctl(c, "--help");
            Assert.True(r.ExitCode == 0 && r.StdOut.Contains("Usage:", StringComparison.Ordinal) && r.StdOut.Contains(c, StringComparison.Ordinal), $"{c} --help: {r.ExitCode}\n{r.StdOut}{r.StdErr}");
        }
    }

    [RootFact]
    public void An_unknown_node_fails_naming_it_and_the_known_nodes()
    {
        var r = Netctl("vppdump", "node9");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("unknown node 'node9'", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("node1, node2, node3", r.StdErr, StringComparison.Ordinal);
    }

    [RootFact]
    public void An_unreachable_agent_fails_naming_the_node_and_the_address()
    {
        var r = Netctl("ipam", "node2", "--agent-endpoints", "node2=http://127.0.0.1:1");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("node node2: agent at http://127.0.0.1:1/contiv/v1/ipam", r.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, r.StdOut);
    }

    [RootFact]
    public void A_bad_etcd_endpoint_fails_naming_it()
    {
        var r = Netctl("nodes", "--etcd", "127.0.0.1:1", "--timeout", "2");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("etcd at http://127.0.0.1:1 unreachable", r.StdErr, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_healthy_lab_validates_OK()
    {
        var r = Netctl("validate");

        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Equal("global: validation OK\n", r.StdOut);
    }

    [RootFact]
    public void A_vxlan_tunnel_deleted_by_hand_is_named_until_the_agent_heals_it()
    {
        WaitForOk();
        Vppctl("node1", "create vxlan tunnel src 192.168.16.1 dst 192.168.16.2 vni 10 del");

        var report = WaitForReport(t => t.Contains("node1: VXLAN-BD: no VXLAN tunnel to node node2 (192.168.16.2)", StringComparison.Ordinal));
        Assert.Contains("node2: VXLAN-BD: node node1 has no VXLAN tunnel back to this node (192.168.16.2)", report, StringComparison.Ordinal);

        Resync("node1");
        WaitForOk();
    }

    [RootFact]
    public void A_removed_static_arp_entry_is_named_until_the_agent_heals_it()
    {
        WaitForOk();
        Vppctl("node2", $"set ip neighbor del {NeighborInterface("node2", "192.168.30.3")} 192.168.30.3 12:2b:00:00:00:03");

        WaitForReport(t => t.Contains("node2: IP-ARP: static ARP entry for node node3's BVI 192.168.30.3 -> 12:2b:00:00:00:03 missing on vxlanBVI", StringComparison.Ordinal));

        Resync("node2");
        WaitForOk();
    }

    [RootFact]
    public void A_removed_pod_route_is_named_until_the_agent_heals_it()
    {
        WaitForOk();
        Vppctl("node3", "ip route del 10.1.3.2/32 table 1");

        WaitForReport(t => t.Contains("node3: L3-FIB: route to pod default/p3 10.1.3.2/32 missing in VRF 1", StringComparison.Ordinal));

        Resync("node3");
        WaitForOk();
    }

    [RootFact]
    public void A_stopped_agent_is_named_until_it_runs_again()
    {
        WaitForOk();
        var pid = AgentPid("node2");
        Assert.Equal(0, Shell.Run("kill", ["-STOP", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
        try
        {
            var r = Netctl("validate", "--timeout", "3");
            Assert.Equal(1, r.ExitCode);
            Assert.Matches(@"node2: AGENT: node node2: agent at http://127\.0\.0\.1:\d+/liveness: no answer within 3 s", r.StdOut);
            Assert.Contains("global: 1 error found", r.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Shell.Run("kill", ["-CONT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        WaitForOk();
    }

    private CommandResult Netctl(params string[] args)
    {
        Assert.True(fixture.StartError is null, fixture.StartError);
        // As an operator would: the lab's env puts contiv-netctl on PATH and names etcd and the agents.
        var script = $"eval \"$('{Lab.Executable}' env --instance {Lab.Instance})\" && exec contiv-netctl \"$@\"";
        return Shell.Run("/bin/bash", ["-c", script, "contiv-netctl", .. args], env: new Dictionary<string, string?> { ["NO_COLOR"] = "1", ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" }, timeout: TimeSpan.FromSeconds(60));
    }

    private string Ok(params string[] args)
    {
        var r = Netctl(args);
        Assert.True(r.ExitCode == 0, $"contiv-netctl {string.Join(' ', args)} exited {r.ExitCode}:\n{r.StdOut}\n{r.StdErr}");
        return r.StdOut;
    }

    /// <summary>Table rows as "a|b|c" (cells split on runs of 2+ spaces), each normalised.</summary>
    private static List<string> Rows(string output, Func<string[], string[]> normalise)
        => [.. output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => string.Join('|', normalise(CellSplit().Split(l))))];

    private static string Time(string s) => Regex.IsMatch(s, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$") ? "<TIME>" : s;

    private static bool JsonEquals(string a, string b) => System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(a), System.Text.Json.Nodes.JsonNode.Parse(b));

    private string WaitForReport(Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + HealTimeout;
        var last = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            var r = Netctl("validate");
            last = r.StdOut + r.StdErr;
            if (condition(r.StdOut))
            {
                Assert.Equal(r.StdOut.EndsWith("global: validation OK\n", StringComparison.Ordinal) ? 0 : 1, r.ExitCode);
                return r.StdOut;
            }

            Thread.Sleep(1000);
        }

        Assert.Fail($"the expected finding never appeared; last report:\n{last}");
        return last;
    }

    private void WaitForOk() => _ = WaitForReport(t => t == "global: validation OK\n");

    private string Vppctl(string node, string command)
    {
        var args = new List<string> { "-s", $"{Lab.StateDir}/nodes/{node}/vpp-cli.sock" };
        args.AddRange(command.Split(' '));
        return Shell.Run(RepoPaths.Executable("contiv-vppctl"), args, timeout: TimeSpan.FromSeconds(20)).EnsureSuccess($"contiv-vppctl {command} on {node}").StdOut;
    }

    /// <summary>The data plane's name of the interface holding a neighbour (the last column of <c>show ip neighbors</c>).</summary>
    private string NeighborInterface(string node, string ip)
    {
        var output = Vppctl(node, "show ip neighbors");
        var line = output.Split('\n').FirstOrDefault(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(ip));
        Assert.True(line is not null, $"no neighbour {ip} on {node}:\n{output}");
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
    }

    private string AgentUrl(string node)
    {
        var state = JsonSerializer.Deserialize<Contiv.Lab.Lab.LabState>(File.ReadAllText($"{Lab.StateDir}/state.json"), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        return state.FindNode(node)?.RestUrl ?? throw new InvalidOperationException($"lab {Lab.Instance} has no node {node}");
    }

    private void Resync(string node)
    {
        using var http = new HttpClient();
        using var r = http.PostAsync($"{AgentUrl(node)}/controller/resync", null).GetAwaiter().GetResult();
        Assert.True(r.IsSuccessStatusCode, $"resync of {node}: {(int)r.StatusCode}");
    }

    /// <summary>The pid of this lab's agent for a node (its CNI socket lies in the node's lab directory).</summary>
    private int AgentPid(string node)
    {
        var socket = $"{Lab.StateDir}/nodes/{node}/cni.sock";
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (args.Length > 0 && Path.GetFileName(args[0]) == "contiv-agent" && args.Contains(socket))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
            }
        }

        Assert.Fail($"no contiv-agent process with --cni-socket {socket}");
        return 0;
    }

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex CellSplit();

    [GeneratedRegex(@"vpp-tap-[0-9a-f]+")]
    private static partial Regex TapRegex();
}
