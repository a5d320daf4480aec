using System.Diagnostics;
using System.Text.Json.Nodes;
using Contiv.Testing;

namespace Contiv.Cni.Tests.EndToEnd;

/// <summary>
/// The shipped conflist (contiv-cni, portmap) plus Debian's tuning, run the way libcni runs a
/// chain, inside the node's network namespace: a hostPort reaches the pod; DEL in reverse removes it.
/// </summary>
public sealed class ChainingTests(AgentNode node) : IClassFixture<AgentNode>
{
    [RootFact]
    public void HostPort_reaches_the_pod_through_portmap_and_tuning_applies_its_sysctl()
    {
        var conflist = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "cni", "10-contiv-vpp.conflist")))!.AsObject();
        var contiv = conflist["plugins"]![0]!.AsObject();
        contiv["grpcServer"] = node.CniSocket;
        contiv["logFile"] = node.CniLog;
        contiv["dataDir"] = node.CniDataDir;
        conflist["plugins"]!.AsArray().Add(JsonNode.Parse("""{"type":"tuning","sysctl":{"net.core.somaxconn":"777"}}"""));
        var chain = new LibcniChain(conflist.ToJsonString(), [RepoPaths.BinDir, CniRunner.DebianPlugins], node.NodeNetns);
        chain.RuntimeConfig["portMappings"] = JsonNode.Parse("""[{"hostPort":30080,"containerPort":8080,"protocol":"tcp"}]""")!;

        // kube-proxy's mark chain, which the conflist's externalSetMarkChain refers to.
        Shell.Run($"ip netns exec {node.NodeNetns} iptables -t nat -N KUBE-MARK-MASQ").EnsureSuccess("create KUBE-MARK-MASQ");
        Shell.Run($"ip netns exec {node.NodeNetns} iptables -t nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000").EnsureSuccess("fill KUBE-MARK-MASQ");

        var pod = node.Namespaces.Create("hp");
        const string cid = "e2echain01";
        var args = AgentNode.Args("hostport", cid);
        var add = chain.Add(cid, $"/run/netns/{pod}", args: args);
        Assert.True(add.ExitCode == 0, $"chain ADD failed: {add.StdOut} {add.StdErr}");
        var podIp = chain.CachedResult!["ips"]![0]!["address"]!.GetValue<string>().Split('/')[0];
        Assert.Equal("777", Shell.Run($"ip netns exec {pod} sysctl -n net.core.somaxconn").StdOut.Trim());
        // Debian's portmap 1.1.1 fails CHECK for IPv4-only pods (it looks for an ip6tables chain it never
        // created: containernetworking/plugins#819, fixed upstream later), so its CHECK is left out.
        var check = chain.Check(cid, $"/run/netns/{pod}", args: args, skip: "portmap");
        Assert.True(check.ExitCode == 0, $"chain CHECK failed: {check.StdOut} {check.StdErr}");

        var nodeIp = Shell.Run($"ip -n {node.NodeNetns} -4 -o addr show scope global").StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3].Split('/')[0]).First();
        using (var server = StartServer(pod, 8080, "hello-from-pod"))
        {
            var reply = Fetch(node.NodeNetns, nodeIp, 30080);
            Assert.True(reply == "hello-from-pod", $"hostPort {nodeIp}:30080 → {podIp}:8080 answered '{reply}'");
        }

        var del = chain.Del(cid, $"/run/netns/{pod}", args: args);
        Assert.True(del.ExitCode == 0, $"chain DEL failed: {del.StdOut}");
        Assert.DoesNotContain("30080", Shell.Run($"ip netns exec {node.NodeNetns} iptables -t nat -S").StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} link").StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void Tuning_after_contiv_finds_eth0_through_prevResult_and_sets_its_mac_and_sysctl()
    {
        // Debian's tuning (containernetworking-plugins) takes contiv-cni's result as prevResult, changes
        // eth0 and rewrites that interface's mac in the result: the final result must describe the pod
        // as it is, and contiv-cni's CHECK must accept the changed MAC a later plugin made.
        // (Traffic to the pod stops after such a MAC change: the data plane's static neighbour entry
        // keeps the MAC the agent configured; docs/cni.md, "Chaining". Sysctls are harmless.)
        const string newMac = "c2:11:22:33:44:55";
        var conflist = $$$"""
            {"cniVersion":"1.0.0","name":"k8s-pod-network","plugins":[
              {"type":"contiv-cni","grpcServer":"{{{node.CniSocket}}}","logFile":"{{{node.CniLog}}}","dataDir":"{{{node.CniDataDir}}}"},
              {"type":"tuning","mac":"{{{newMac}}}","sysctl":{"net.ipv4.conf.eth0.arp_notify":"1"}}]}
            """;
        var chain = new LibcniChain(conflist, [RepoPaths.BinDir, CniRunner.DebianPlugins], node.NodeNetns);
        var pod = node.Namespaces.Create("tuned");
        const string cid = "e2etuning01";
        var args = AgentNode.Args("tuned", cid);
        try
        {
            var add = chain.Add(cid, $"/run/netns/{pod}", args: args);
            Assert.True(add.ExitCode == 0, $"chain ADD failed: {add.StdOut} {add.StdErr}");

            var eth0 = ResultRulesTests.LiveLink(pod, "eth0");
            Assert.Equal(newMac, eth0.GetProperty("address").GetString());
            Assert.Equal("1", Shell.Run($"ip netns exec {pod} sysctl -n net.ipv4.conf.eth0.arp_notify").StdOut.Trim());
            var final = chain.CachedResult!;
            var finalEth0 = final["interfaces"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "eth0")!;
            Assert.Equal(newMac, finalEth0["mac"]!.GetValue<string>());
            Assert.Equal($"/run/netns/{pod}", finalEth0["sandbox"]!.GetValue<string>());
            Assert.Empty(LibcniResultRules.Problems(System.Text.Json.JsonDocument.Parse(final.ToJsonString()).RootElement, "1.0.0"));

            // CHECK of the whole chain: contiv-cni compares the final (tuned) MAC with the live interface.
            var check = chain.Check(cid, $"/run/netns/{pod}", args: args);
            Assert.True(check.ExitCode == 0, $"chain CHECK failed: {check.StdOut} {check.StdErr}");
        }
        finally
        {
            var del = chain.Del(cid, $"/run/netns/{pod}", args: args);
            Assert.True(del.ExitCode == 0, $"chain DEL failed: {del.StdOut} {del.StdErr}");
        }

        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} link").StdOut, StringComparison.Ordinal);
    }

    private static PodServer StartServer(string ns, int port, string text)
    {
        var script = $"import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',{port}));s.listen(8)\n" +
                     $"print('ready',flush=True)\nwhile True:\n c,_=s.accept();c.sendall(b'{text}');c.close()\n";
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "python3", "-c", script })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        var ready = p.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(10)) || ready.Result != "ready")
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException("test server in the pod did not start");
        }

        return new PodServer(p);
    }

    private static string Fetch(string ns, string ip, int port)
    {
        var script = $"import socket\ns=socket.create_connection(('{ip}',{port}),timeout=5)\nprint(s.recv(100).decode())";
        return Shell.Run("ip", ["netns", "exec", ns, "python3", "-c", script], timeout: TimeSpan.FromSeconds(20)).StdOut.Trim();
    }

    /// <summary>A server process in a pod namespace, killed on dispose.</summary>
    private sealed class PodServer(Process process) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // already exited
            }

            process.Dispose();
        }
    }
}
