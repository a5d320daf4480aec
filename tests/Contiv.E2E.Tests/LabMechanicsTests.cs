using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>The lab's own machinery on the kernel baseline network (no vswitch involved).</summary>
public sealed class LabMechanicsTests(BridgeLabFixture fixture) : IClassFixture<BridgeLabFixture>
{
    private Lab Lab => fixture.Lab;

    [RootFact]
    public void Pods_on_two_nodes_get_addresses_from_their_node_subnet_and_the_full_matrix_passes()
    {
        Lab.Apply(Pods.Join(Pods.Web("mw1", "node1"), Pods.Web("mw2", "node2"), Pods.Sleeper("ms1", "node1"), Pods.Sleeper("ms2", "node2")));
        try
        {
            Assert.StartsWith("10.1.1.", Lab.PodField("mw1", "{.status.podIP}"), StringComparison.Ordinal);
            Assert.StartsWith("10.1.2.", Lab.PodField("mw2", "{.status.podIP}"), StringComparison.Ordinal);
            Assert.Equal("192.168.56.2", Lab.PodField("mw2", "{.status.hostIP}"));
            Assert.Equal("True", Lab.PodField("ms1", "{.status.conditions[?(@.type==\"Ready\")].status}"));

            var (code, report, raw) = Lab.Check();
            Assert.True(code == 0 && report.Passed, report.Summary + "\n" + raw);

            // 4 pods × 3 other pods + 2 hosts × 4 pods + 4 pods × 2 hosts.
            Assert.Equal(12 + 8 + 8, report.Results.Count);
        }
        finally
        {
            Lab.Delete(Pods.Join(Pods.Web("mw1", "node1"), Pods.Web("mw2", "node2"), Pods.Sleeper("ms1", "node1"), Pods.Sleeper("ms2", "node2")));
        }
    }

    [RootFact]
    public void The_check_fails_and_names_the_pairs_when_a_path_is_broken()
    {
        var pods = Pods.Join(Pods.Sleeper("bk1", "node1"), Pods.Sleeper("bk2", "node2"));
        Lab.Apply(pods);
        try
        {
            // Break node1 → node2's pod subnet in node1's namespace (never the root namespace).
            Shell.Ip($"-n {Lab.NetnsPrefix}node1 route del 10.1.2.0/24");
            try
            {
                var (code, report, raw) = Lab.Check();
                Assert.NotEqual(0, code);
                Assert.False(report.Passed);
                Assert.Contains(report.Failed, r => r.From == "default/bk1" && r.To == "default/bk2" && !r.Ping && !r.Tcp);
                Assert.Contains(report.Failed, r => r.From == "host/node1" && r.To == "default/bk2");
                Assert.DoesNotContain(report.Failed, r => r.From == "host/node2" && r.To == "default/bk2");
                Assert.Contains("FAIL", Lab.Run("check").StdOut, StringComparison.Ordinal);
                _ = raw;
            }
            finally
            {
                Shell.Ip($"-n {Lab.NetnsPrefix}node1 route add 10.1.2.0/24 via 192.168.56.2 dev mgmt0");
            }

            Assert.Equal(0, Lab.Check().ExitCode);
        }
        finally
        {
            Lab.Delete(pods);
        }
    }

    [RootFact]
    public void Lab_daemons_run_without_tiered_compilation_and_their_pods_do_not_inherit_it()
    {
        const string setting = "DOTNET_TieredCompilation=0";
        Lab.Apply(Pods.Sleeper("tc1", "node1"));
        try
        {
            // The kubelet stand-in (and its supervisor): idle daemons must not re-compile methods in the background.
            var kubelets = Shell.Run("pgrep", ["-f", $"contiv-lab kubelet --instance {Lab.Instance} --node node1"]).StdOut
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
            Assert.NotEmpty(kubelets);
            Assert.All(kubelets, pid => Assert.Contains(setting, Environ(pid)));

            // The pod's process runs with the lab's marker but without the daemons' runtime setting.
            var ns = Shell.Run("ip netns list").StdOut.Split('\n').Select(l => l.Split(' ')[0]).Single(n => n.StartsWith(Lab.NetnsPrefix + "pod-tc1-", StringComparison.Ordinal));
            var pods = Shell.Run($"ip netns pids {ns}").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
            Assert.NotEmpty(pods);
            Assert.All(pods, pid =>
            {
                var env = Environ(pid);
                Assert.Contains($"CONTIV_LAB_INSTANCE={Lab.Instance}", env);
                Assert.DoesNotContain(env, e => e.StartsWith("DOTNET_TieredCompilation=", StringComparison.Ordinal));
            });
        }
        finally
        {
            Lab.Delete(Pods.Sleeper("tc1", "node1"));
        }

        static string[] Environ(int pid) => File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    [RootFact]
    public void Deleting_a_pod_runs_cni_del_frees_its_ip_and_removes_its_namespace_and_processes()
    {
        Lab.Apply(Pods.Web("del1", "node1"));
        var ip = Lab.PodField("del1", "{.status.podIP}");
        var nsName = Shell.Run("ip netns list").StdOut.Split('\n').Select(l => l.Split(' ')[0]).Single(n => n.StartsWith(Lab.NetnsPrefix + "pod-del1-", StringComparison.Ordinal));
        var ipamFile = $"{Lab.StateDir}/nodes/node1/host-local/lab-bridge/{ip}";
        Assert.True(File.Exists(ipamFile), $"host-local holds no reservation for {ip}");
        var pids = Shell.Run($"ip netns pids {nsName}").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(pids);

        Lab.Delete(Pods.Web("del1", "node1"));

        Assert.False(File.Exists(ipamFile), $"{ip} still reserved after the pod was deleted");
        Assert.DoesNotContain(nsName, Shell.Run("ip netns list").StdOut, StringComparison.Ordinal);
        foreach (var pid in pids)
        {
            Assert.False(Directory.Exists("/proc/" + pid.Trim()) && !File.ReadAllText($"/proc/{pid.Trim()}/stat").Contains(") Z", StringComparison.Ordinal), $"workload pid {pid} still runs");
        }

        var cniLog = File.ReadAllText($"{Lab.StateDir}/nodes/node1/kubelet/cni.log");
        Assert.Contains("DEL bridge pod=default/del1", cniLog, StringComparison.Ordinal);
        Assert.Contains("DEL portmap pod=default/del1", cniLog, StringComparison.Ordinal);
    }

    [RootFact]
    public void The_kubelet_chains_plugins_with_prevResult_like_libcni()
    {
        Lab.Apply(Pods.Sleeper("chain1", "node2"));
        try
        {
            var log = File.ReadAllLines($"{Lab.StateDir}/nodes/node2/kubelet/cni.log");
            var portmapAdd = log.SkipWhile(l => !l.Contains("ADD portmap pod=default/chain1", StringComparison.Ordinal)).Skip(1).First();
            using var conf = JsonDocument.Parse(portmapAdd[portmapAdd.IndexOf('{', StringComparison.Ordinal)..]);
            var prev = conf.RootElement.GetProperty("prevResult");
            Assert.Equal(Lab.PodField("chain1", "{.status.podIP}") + "/24", prev.GetProperty("ips")[0].GetProperty("address").GetString());
            Assert.Equal("lab-bridge", conf.RootElement.GetProperty("name").GetString());
            Assert.Equal("1.0.0", conf.RootElement.GetProperty("cniVersion").GetString());
        }
        finally
        {
            Lab.Delete(Pods.Sleeper("chain1", "node2"));
        }
    }

    [RootFact]
    public void Unbound_pods_are_spread_over_the_nodes_by_the_scheduler()
    {
        var pods = Pods.Join(Pods.Sleeper("sp1"), Pods.Sleeper("sp2"), Pods.Sleeper("sp3"), Pods.Sleeper("sp4"));
        Lab.Apply(pods);
        try
        {
            var nodes = new[] { "sp1", "sp2", "sp3", "sp4" }.Select(p => Lab.PodField(p, "{.spec.nodeName}")).ToList();
            Assert.Equal(2, nodes.Count(n => n == "node1"));
            Assert.Equal(2, nodes.Count(n => n == "node2"));
        }
        finally
        {
            Lab.Delete(pods);
        }
    }

    [RootFact]
    public void A_hostNetwork_pod_runs_in_its_node_namespace_with_the_node_ip()
    {
        Lab.Apply(Pods.Sleeper("hn1", "node2", hostNetwork: true));
        try
        {
            Assert.Equal("192.168.56.2", Lab.PodField("hn1", "{.status.podIP}"));
            var nodePids = Shell.Run($"ip netns pids {Lab.NetnsPrefix}node2").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim());
            Assert.Contains(nodePids, pid => File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep\0infinity", StringComparison.Ordinal));
            Assert.DoesNotContain("ADD bridge pod=default/hn1", File.ReadAllText($"{Lab.StateDir}/nodes/node2/kubelet/cni.log"), StringComparison.Ordinal);
        }
        finally
        {
            Lab.Delete(Pods.Sleeper("hn1", "node2", hostNetwork: true));
        }
    }

    [RootFact]
    public void Env_points_the_real_kubectl_and_etcdctl_at_the_lab()
    {
        var env = Lab.Ok("env");
        var vars = env.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Replace("export ", string.Empty, StringComparison.Ordinal).Split('=', 2))
            .ToDictionary(kv => kv[0], kv => (string?)kv[1]);
        Assert.Equal("3", vars["ETCDCTL_API"]);

        var nodes = Shell.Run("kubectl", ["get", "nodes", "-o", "name"], env: vars, timeout: TimeSpan.FromSeconds(30)).EnsureSuccess("kubectl get nodes");
        Assert.Equal("node/node1\nnode/node2", nodes.StdOut.Trim());

        // contiv-ksr reflected the nodes into the lab's etcd.
        var keys = Shell.Run("etcdctl", ["get", "--prefix", "/vnf-agent/contiv-ksr/k8s/node/", "--keys-only"], env: vars, timeout: TimeSpan.FromSeconds(30)).EnsureSuccess("etcdctl get");
        Assert.Contains("/vnf-agent/contiv-ksr/k8s/node/node1", keys.StdOut, StringComparison.Ordinal);
        Assert.Contains("/vnf-agent/contiv-ksr/k8s/node/node2", keys.StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_node_can_be_added_and_removed_while_the_lab_runs()
    {
        Lab.Ok("node", "add");
        try
        {
            Lab.Apply(Pods.Join(Pods.Sleeper("n3a", "node3"), Pods.Sleeper("n1a", "node1")));
            Assert.StartsWith("10.1.3.", Lab.PodField("n3a", "{.status.podIP}"), StringComparison.Ordinal);
            var (code, report, raw) = Lab.Check();
            Assert.True(code == 0, report.Summary + "\n" + raw);
            Assert.Contains(report.Results, r => r.From == "default/n3a" && r.To == "default/n1a" && r.Ping && r.Tcp);
            Assert.Contains(report.Results, r => r.From == "default/n3a" && r.To == "host/node3" && r.Ping && r.Tcp);
            Lab.Delete(Pods.Sleeper("n1a", "node1"));
        }
        finally
        {
            Lab.Ok("node", "delete", "node3");
        }

        Assert.Equal("node/node1\nnode/node2", Lab.Kubectl("get", "nodes", "-o", "name").StdOut.Trim());
        Assert.Equal(string.Empty, Lab.Kubectl("get", "pod", "n3a", "--ignore-not-found", "-o", "name").StdOut.Trim());
        var namespaces = Shell.Run("ip netns list").StdOut;
        Assert.DoesNotContain(Lab.NetnsPrefix + "node3", namespaces, StringComparison.Ordinal);
        Assert.DoesNotContain(Lab.NetnsPrefix + "pod-n3a-", namespaces, StringComparison.Ordinal);
        Assert.DoesNotContain("10.1.3.0/24", Shell.Ip($"-n {Lab.NetnsPrefix}node1 route"), StringComparison.Ordinal);
        Assert.DoesNotContain("n3-", Shell.Ip($"-n {Lab.NetnsPrefix}lab link"), StringComparison.Ordinal);
    }

    [RootFact]
    public void A_failing_cni_check_makes_the_pod_not_ready_until_it_passes_again()
    {
        Lab.Apply(Pods.Sleeper("chk1", "node1"));
        try
        {
            var ip = Lab.PodField("chk1", "{.status.podIP}");
            var podNs = Shell.Run("ip netns list").StdOut.Split('\n').Select(l => l.Split(' ')[0]).Single(n => n.StartsWith(Lab.NetnsPrefix + "pod-chk1-", StringComparison.Ordinal));

            // Take the pod's address away behind the kubelet's back: the bridge plugin's CHECK notices.
            Shell.Ip($"-n {podNs} addr del {ip}/24 dev eth0");
            WaitFor(() => Lab.PodField("chk1", "{.status.conditions[?(@.type==\"Ready\")].status}") == "False", "pod chk1 still Ready after its address was removed");
            Assert.Equal("NetworkNotReady", Lab.PodField("chk1", "{.status.conditions[?(@.type==\"Ready\")].reason}"));
            Assert.Contains("CHECK", Lab.PodField("chk1", "{.status.conditions[?(@.type==\"Ready\")].message}"), StringComparison.Ordinal);

            // The kernel dropped the default route with the address; the CNI result lists it, so restore both.
            Shell.Ip($"-n {podNs} addr add {ip}/24 dev eth0");
            Shell.Run($"ip -n {podNs} route replace default via 10.1.1.1 dev eth0").EnsureSuccess("restore the pod's default route");
            WaitFor(() => Lab.PodField("chk1", "{.status.conditions[?(@.type==\"Ready\")].status}") == "True", "pod chk1 not Ready again after its address came back");
        }
        finally
        {
            Lab.Delete(Pods.Sleeper("chk1", "node1"));
        }
    }

    private static void WaitFor(Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            Thread.Sleep(300);
        }
    }
}
