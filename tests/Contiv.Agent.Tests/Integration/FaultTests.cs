using System.Net;
using Contiv.Testing;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// Faults of one node with pods running: the data plane down or restarted as a container would restart it (same pid),
/// an unreadable pod state file, a CNI Delete that cannot be applied.
/// </summary>
[Collection("integration")]
public sealed class FaultTests : SingleNodeTestBase
{
    private const string Config = """
        controller:
          delayRetry: 200ms
          maxRetryAttempts: 2
          delayAfterErrorHealing: 1s
          enablePeriodicHealing: false
        govpp:
          replyTimeout: 3s
        """;

    private string[] _pods = [];

    protected override string AgentConfig => Config;

    protected override async Task AfterStartAsync()
    {
        _pods = [Ns.Create("pod1"), Ns.Create("pod2")];
        Assert.Equal("10.1.1.2/32", (await Node!.AddPodAsync("pod1", _pods[0], "cidfault1")).Interfaces[0].IpAddresses[0].Address);
        Assert.Equal("10.1.1.3/32", (await Node.AddPodAsync("pod2", _pods[1], "cidfault2")).Interfaces[0].IpAddresses[0].Address);
        Assert.True(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 2));
    }

    [RootFact]
    public async Task Readiness_is_false_while_the_data_plane_is_down_and_true_again_after_it_is_back()
    {
        var node = Node!;
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(node)).Status);
        node.KillVpp();
        await VswitchNode.WaitUntilAsync(async () => (await ProbeAsync(node)).Status == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(10), () => "readiness stayed OK with the data plane killed");
        var (_, body) = await ProbeAsync(node);
        Assert.Contains("data plane", body, StringComparison.Ordinal);

        // Liveness is not affected: restarting the agent would not bring the data plane back.
        using (var http = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{node.RestPort}/liveness"))).StatusCode);
        }

        node.StartVpp();
        await node.WaitReadyAsync(TimeSpan.FromSeconds(30));
        Assert.True(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 1));
    }

    [RootFact]
    public async Task An_idle_node_keeps_only_the_liveness_connection_to_the_data_plane_open()
    {
        var node = Node!;
        var live = Contiv.Model.Vpp.DataplaneLiveness.PathFor(node.ApiSocket);

        // The agent's API connection closes after 20 s without calls (+ the pool's 5 s cleaning period): an idle data
        // plane then has no HTTP/2 connection for Kestrel's heartbeat to tick every second. The liveness one stays.
        VswitchNode.WaitUntil(() => ServerConnections(node.ApiSocket) == 0, TimeSpan.FromSeconds(40),
            $"the agent's API connection to the data plane stayed open while idle:\n{Shell.Run("ss -xH").StdOut}");
        Assert.Equal(1, ServerConnections(live));

        // The next call opens a new one, and the node works as before.
        var ns = Ns.Create("pod3");
        Assert.Equal("10.1.1.4/32", (await node.AddPodAsync("pod3", ns, "cidfault3")).Interfaces[0].IpAddresses[0].Address);
        Assert.True(NetnsScope.Ping(ns, "10.1.1.2", count: 1));
        await node.DeletePodAsync("pod3", ns, "cidfault3");
        Assert.Equal(1, ServerConnections(live));
    }

    /// <summary>Established connections whose server end is the unix socket published at <paramref name="path"/> (bound in a staging directory beside it).</summary>
    private static int ServerConnections(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        var name = "/" + Path.GetFileName(path);
        return Shell.Run("ss -xH").StdOut.Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f.Length >= 5 && f[1] == "ESTAB" && f[4].StartsWith(dir + "/", StringComparison.Ordinal) && f[4].EndsWith(name, StringComparison.Ordinal));
    }

    [RootFact]
    public async Task Data_plane_restarted_with_the_same_pid_is_detected_and_gets_its_configuration_back()
    {
        var node = Node!;

        // First as pid 1 of its own pid namespace (a pid change: detected either way).
        node.KillVpp();
        node.StartVpp(ownPidNamespace: true);
        Assert.Equal(1u, node.Version()!.Pid);
        await WaitPingAsync(node, "after the first restart");

        // Then restarted again with the same pid 1, as a container runtime restarts a container.
        var before = node.Version()!;
        node.KillVpp();
        node.StartVpp(ownPidNamespace: true);
        var after = node.Version()!;
        Assert.Equal(before.Pid, after.Pid);
        Assert.NotEqual(before.InstanceId, after.InstanceId);
        await WaitPingAsync(node, "after a restart with the same pid");
        var restarts = (await node.GetJsonAsync("/controller/event-history")).EnumerateArray()
            .Count(r => r.GetProperty("name").GetString() == "Data Plane Restarted");
        Assert.Equal(2, restarts);
    }

    [RootFact]
    public async Task Unreadable_pod_state_file_is_moved_aside_and_the_running_pods_are_kept()
    {
        var node = Node!;
        var etcd = Etcd!;

        // KSR knows the pods (as in a cluster): their names come back from it, matched by IP.
        await etcd.PutAsync("/vnf-agent/contiv-ksr/k8s/pod/pod1/namespace/default", """{"name":"pod1","namespace":"default","ip_address":"10.1.1.2"}""");
        await etcd.PutAsync("/vnf-agent/contiv-ksr/k8s/pod/pod2/namespace/default", """{"name":"pod2","namespace":"default","ip_address":"10.1.1.3"}""");
        var stateFile = Path.Combine(node.StateDir, "contiv-agent-node1.pods.json");
        Assert.True(File.Exists(stateFile));
        var tapsBefore = PodTaps(node);
        Assert.Equal(2, tapsBefore.Count);

        node.KillAgent();
        await File.WriteAllTextAsync(stateFile, "{\"truncated");
        node.StartAgent();
        await node.WaitReadyAsync();

        // The broken file is kept aside for inspection, a new one written.
        var aside = Directory.GetFiles(node.StateDir, "contiv-agent-node1.pods.json.unreadable-*");
        Assert.Single(aside);
        Assert.Equal("{\"truncated", await File.ReadAllTextAsync(aside[0]));
        Assert.Contains("cidfault1", await File.ReadAllTextAsync(stateFile), StringComparison.Ordinal);

        // The pods were not unwired: same TAPs (same indexes), connectivity, addresses kept.
        Assert.Equal(tapsBefore, PodTaps(node));
        Assert.True(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 1));
        var again = await node.AddPodAsync("pod1", _pods[0], "cidfault1");
        Assert.Equal("10.1.1.2/32", again.Interfaces[0].IpAddresses[0].Address);
        var pod3 = Ns.Create("pod3");
        Assert.Equal("10.1.1.4/32", (await node.AddPodAsync("pod3", pod3, "cidfault3")).Interfaces[0].IpAddresses[0].Address);
    }

    [RootFact]
    public async Task Failed_delete_is_reported_and_a_retried_delete_removes_the_tap()
    {
        var node = Node!;

        // The data plane pauses (SIGSTOP: same instance afterwards, so no restart replay cleans up behind the Delete).
        var vppPid = (int)node.Version()!.Pid;
        Signal(vppPid, "STOP");
        try
        {
            var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => node.DeletePodAsync("pod2", _pods[1], "cidfault2"));
            Assert.Contains("pod2", e.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            Signal(vppPid, "CONT");
        }

        // The runtime retries the Delete: it succeeds and the TAP is gone.
        Assert.Equal(0u, (await node.DeletePodAsync("pod2", _pods[1], "cidfault2")).Result);
        Assert.DoesNotContain(node.Dump().Interfaces, i => i.Name == "vpp-tap-cidfault2");
        Assert.True(NetnsScope.Ping(_pods[0], "10.1.1.1", count: 1));
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static List<string> PodTaps(VswitchNode node)
        => node.Dump().Interfaces.Where(i => i.Name.StartsWith("vpp-tap-", StringComparison.Ordinal))
            .Select(i => $"{i.Name} {i.SwIfIndex}").Order(StringComparer.Ordinal).ToList();

    private static async Task<(HttpStatusCode Status, string Body)> ProbeAsync(VswitchNode node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var r = await http.GetAsync(new Uri($"http://127.0.0.1:{node.RestPort}/readiness"));
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    private async Task WaitPingAsync(VswitchNode node, string when)
        => await VswitchNode.WaitUntilAsync(
            () => Task.FromResult(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 1, waitSeconds: 1)),
            TimeSpan.FromSeconds(30),
            () => $"pods do not ping {when}; agent log:\n{node.Tail(node.AgentLog)}");
}
