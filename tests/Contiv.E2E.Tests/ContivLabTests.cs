using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>End-to-end: the vswitch (contiv-vpp + contiv-agent), contiv-cni, contiv-ksr and the lab together.</summary>
[Collection(SharedContivLabCollection.Name)]
public sealed class ContivLabTests(ContivLabFixture fixture) : IClassFixture<ContivLabFixture>
{
    private Lab Lab => fixture.Lab;

    [RootFact]
    public void Two_nodes_with_four_pods_pass_the_full_matrix()
    {
        RequireLab();
        Assert.StartsWith("10.1.1.", Lab.PodField("web1", "{.status.podIP}"), StringComparison.Ordinal);
        Assert.StartsWith("10.1.2.", Lab.PodField("web2", "{.status.podIP}"), StringComparison.Ordinal);
        var report = CheckEventually(TimeSpan.FromSeconds(20));
        Assert.Equal(12 + 8 + 8, report.Results.Count);
    }

    [RootFact]
    public void Deleting_a_pod_frees_its_ip_and_its_tap()
    {
        RequireLab();
        var pod = Pods.Sleeper("gone1", "node1");
        var tapsBefore = Taps("node1");
        Lab.Apply(pod);
        var ip = Lab.PodField("gone1", "{.status.podIP}");

        // The data plane's route to the pod names the pod's TAP (device names are VPP's: tapN).
        var route = Vppctl("node1", $"show ip fib table 1 {ip}/32");
        var tap = route.Split(' ', '\n', ':').FirstOrDefault(w => w.StartsWith("tap", StringComparison.Ordinal) && w.Length > 3 && char.IsDigit(w[3]));
        Assert.True(tap is not null, $"no route via a TAP to {ip} in node1's pod VRF:\n{route}");
        Assert.Contains(tap, Taps("node1"));
        Assert.Equal(tapsBefore.Count + 1, Taps("node1").Count);
        Assert.Contains($"\"{ip}\"", Allocations("node1"), StringComparison.Ordinal);

        Lab.Delete(pod);

        Eventually(TimeSpan.FromSeconds(20), () => !Taps("node1").Contains(tap), $"{tap} (pod gone1) still in node1's data plane");
        Assert.Equal(tapsBefore.Count, Taps("node1").Count);
        Eventually(TimeSpan.FromSeconds(20), () => !Allocations("node1").Contains($"\"{ip}\"", StringComparison.Ordinal), $"IP {ip} still allocated on node1");
        Assert.DoesNotContain(Lab.NetnsPrefix + "pod-gone1-", Shell.Run("ip netns list").StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_host_port_reaches_the_pod_from_its_node_through_portmap()
    {
        RequireLab();
        var pod = Pods.Web("hp1", "node1").Replace("- containerPort: 8080", "- {containerPort: 8080, hostPort: 30080}", StringComparison.Ordinal);
        Assert.Contains("hostPort: 30080", pod, StringComparison.Ordinal);
        Lab.Apply(pod);
        try
        {
            var hostIp = Lab.PodField("hp1", "{.status.hostIP}");
            var node = Lab.NetnsPrefix + "node1";
            string Curl() => Shell.Run("ip", ["netns", "exec", node, "curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", $"http://{hostIp}:30080/"]).StdOut;
            Eventually(TimeSpan.FromSeconds(20), () => Curl() == "200", $"http://{hostIp}:30080/ from node1 did not reach pod hp1 (last: {Curl()}); nat table:\n{Shell.Run($"ip netns exec {node} iptables -t nat -S").StdOut}");
        }
        finally
        {
            Lab.Delete(pod);
        }

        Assert.DoesNotContain("30080", Shell.Run($"ip netns exec {Lab.NetnsPrefix}node1 iptables -t nat -S").StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_third_node_joins_the_vxlan_mesh_and_leaving_removes_its_tunnels_everywhere()
    {
        RequireLab();
        Lab.Ok("node", "add");
        try
        {
            Lab.Apply(Pods.Web("web3", "node3"));
            Assert.StartsWith("10.1.3.", Lab.PodField("web3", "{.status.podIP}"), StringComparison.Ordinal);
            foreach (var node in new[] { "node1", "node2" })
            {
                Eventually(TimeSpan.FromSeconds(20), () => Vppctl(node, "show vxlan tunnel").Contains("dst 192.168.16.3", StringComparison.Ordinal), $"{node} has no VXLAN tunnel to node3 (192.168.16.3)");
            }

            Assert.Contains("dst 192.168.16.1", Vppctl("node3", "show vxlan tunnel"), StringComparison.Ordinal);
            var report = CheckEventually(TimeSpan.FromSeconds(20));
            Assert.Contains(report.Results, r => r.From == "default/web3" && r.To == "default/client1" && r.Ping && r.Tcp);
            Assert.Contains(report.Results, r => r.From == "default/client2" && r.To == "default/web3" && r.Ping && r.Tcp);
        }
        finally
        {
            Lab.Ok("node", "delete", "node3");
        }

        foreach (var node in new[] { "node1", "node2" })
        {
            Eventually(TimeSpan.FromSeconds(30), () => !Vppctl(node, "show vxlan tunnel").Contains("192.168.16.3", StringComparison.Ordinal), $"{node} still has its tunnel to the deleted node3");
        }

        Assert.DoesNotContain("node3", Lab.Kubectl("get", "nodes", "-o", "name").StdOut, StringComparison.Ordinal);
        CheckEventually(TimeSpan.FromSeconds(20));
    }

    [RootFact]
    public void Restarting_a_nodes_agent_and_data_plane_keeps_the_matrix_passing()
    {
        RequireLab();
        var before = Lab.PodField("web2", "{.status.podIP}");
        Lab.Ok("node", "restart", "node2", "--component", "vpp", "agent");
        Assert.Equal(before, Lab.PodField("web2", "{.status.podIP}"));
        CheckEventually(TimeSpan.FromSeconds(45));
    }

    private void RequireLab() => Assert.True(fixture.StartError is null, fixture.StartError);

    /// <summary>Runs the check until it passes (paths converge after changes); fails with the last report.</summary>
    private CheckJson CheckEventually(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (code, report, raw) = Lab.Check();
            if (code == 0 && report.Passed)
            {
                return report;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"connectivity check still failing after {timeout.TotalSeconds:0}s: {report.Summary}\n{raw}\n{Lab.Diagnostics()}");
            }

            Thread.Sleep(1000);
        }
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

    private string Vppctl(string node, string command)
    {
        var args = new List<string> { "-s", $"{Lab.StateDir}/nodes/{node}/vpp-cli.sock" };
        args.AddRange(command.Split(' '));
        return Shell.Run(RepoPaths.Executable("contiv-vppctl"), args, timeout: TimeSpan.FromSeconds(20)).EnsureSuccess($"contiv-vppctl {command} on {node}").StdOut;
    }

    /// <summary>Names of the TAP devices in a node's data plane (<c>show interface</c>).</summary>
    private List<string> Taps(string node) => Vppctl(node, "show interface").Split('\n')
        .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty)
        .Where(n => n.StartsWith("tap", StringComparison.Ordinal))
        .ToList();

    private string Allocations(string node)
    {
        var state = JsonDocument.Parse(File.ReadAllText(Lab.StateDir + "/state.json"));
        var port = state.RootElement.GetProperty("nodes").EnumerateArray().First(n => n.GetProperty("name").GetString() == node).GetProperty("restPort").GetInt32();
        using var http = new HttpClient();
        return http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/contiv/v1/ipam/allocations")).GetAwaiter().GetResult();
    }
}
