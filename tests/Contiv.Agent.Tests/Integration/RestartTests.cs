using System.Diagnostics;
using System.Text.RegularExpressions;
using Contiv.Model.Vpp;
using Contiv.Testing;

namespace Contiv.Agent.Tests.Integration;

/// <summary>Restarts of the agent, of the data plane and of etcd with pods running.</summary>
[Collection("integration")]
public sealed partial class RestartTests : SingleNodeTestBase
{
    private const string Config = """
        controller:
          delayRetry: 200ms
          maxRetryAttempts: 2
          delayAfterErrorHealing: 1s
        """;

    private string[] _pods = [];

    protected override string AgentConfig => Config;

    protected override async Task AfterStartAsync()
    {
        _pods = [Ns.Create("pod1"), Ns.Create("pod2")];
        Assert.Equal("10.1.1.2/32", (await Node!.AddPodAsync("pod1", _pods[0], "cidrestart1")).Interfaces[0].IpAddresses[0].Address);
        Assert.Equal("10.1.1.3/32", (await Node.AddPodAsync("pod2", _pods[1], "cidrestart2")).Interfaces[0].IpAddresses[0].Address);
        Assert.True(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 2));
    }

    [RootFact]
    public async Task Agent_restart_with_pods_running_changes_nothing_in_the_data_plane()
    {
        var node = Node!;
        var before = node.Dump();
        using var ping = StartPing(_pods[0], "10.1.1.3", count: 40, intervalSeconds: 0.2);

        node.KillAgent();
        node.StartAgent();
        await node.WaitReadyAsync();
        var after = node.Dump();

        // Same objects with the same indexes: nothing was deleted and re-created.
        Assert.Equal(Describe(before), Describe(after));
        var txns = await node.GetJsonAsync("/scheduler/txn-history");
        var startup = txns[0];
        Assert.Equal("FullResync", startup.GetProperty("kind").GetString());
        Assert.Empty(startup.GetProperty("operations").EnumerateArray()
            .Where(o => o.GetProperty("operation").GetString() is "Create" or "Delete" or "Update")
            .Select(o => o.GetProperty("key").GetString()));

        var (sent, received) = WaitPing(ping);
        Assert.True(sent - received <= 1, $"ping lost {sent - received} of {sent} packets across the agent restart");

        // The restarted agent remembers the pods and their addresses.
        var again = await node.AddPodAsync("pod1", _pods[0], "cidrestart1");
        Assert.Equal("10.1.1.2/32", again.Interfaces[0].IpAddresses[0].Address);
        var pod3 = Ns.Create("pod3");
        Assert.Equal("10.1.1.4/32", (await node.AddPodAsync("pod3", pod3, "cidrestart3")).Interfaces[0].IpAddresses[0].Address);
    }

    [RootFact]
    public async Task Agent_started_while_etcd_is_down_resyncs_from_its_local_mirror()
    {
        var node = Node!;
        var before = node.Dump();
        await Etcd!.StopAsync();
        node.KillAgent();
        node.StartAgent();
        await node.WaitReadyAsync(TimeSpan.FromSeconds(30));
        var history = await node.GetJsonAsync("/controller/event-history");
        Assert.Contains("local", history[0].GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await node.GetJsonAsync("/contiv/v1/ipam")).GetProperty("nodeId").GetInt32());
        Assert.Equal(Describe(before), Describe(node.Dump()));
        Assert.True(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 1));

        // Once etcd is back the agent resyncs from it.
        await Etcd.StartAgainAsync();
        await VswitchNode.WaitUntilAsync(
            async () => (await node.GetJsonAsync("/controller/event-history")).EnumerateArray()
                .Any(r => r.GetProperty("description").GetString()!.StartsWith("DB Resync (etcd", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            () => $"no etcd resync after etcd came back; agent log:\n{node.Tail(node.AgentLog)}");
    }

    [RootFact]
    public async Task Data_plane_restart_makes_the_agent_recreate_everything()
    {
        var node = Node!;
        var before = node.Dump();
        node.KillVpp();
        Assert.False(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 1, waitSeconds: 1));
        node.StartVpp();

        await VswitchNode.WaitUntilAsync(
            () => Task.FromResult(NetnsScope.Ping(_pods[0], "10.1.1.3", count: 1, waitSeconds: 1)),
            TimeSpan.FromSeconds(30),
            () => $"pods do not ping after the data plane restart; agent log:\n{node.Tail(node.AgentLog)}");
        Assert.True(NetnsScope.Ping(_pods[1], "10.1.1.1", count: 1));
        var after = node.Dump();
        Assert.Equal(before.Interfaces.Select(i => i.Name).Order(), after.Interfaces.Select(i => i.Name).Order());
        Assert.Equal(before.Routes.Select(r => $"{r.VrfId} {r.DstNetwork}").Order(), after.Routes.Select(r => $"{r.VrfId} {r.DstNetwork}").Order());
        var history = await node.GetJsonAsync("/controller/event-history");
        Assert.Contains(history.EnumerateArray(), r => r.GetProperty("name").GetString() == "Data Plane Restarted");
    }

    [RootFact]
    public async Task Etcd_outage_of_30s_leaves_pods_working_and_later_changes_are_applied()
    {
        var node = Node!;
        var etcd = Etcd!;

        // KSR knows pod1, so its IP is kept after CNI Delete until the KSR record goes (SPEC §1.6.6).
        var podKey = "/vnf-agent/contiv-ksr/k8s/pod/pod1/namespace/default";
        await etcd.PutAsync(podKey, """{"name":"pod1","namespace":"default","ip_address":"10.1.1.2"}""");
        await VswitchNode.WaitUntilAsync(
            async () => (await node.GetJsonAsync("/controller/event-history")).EnumerateArray().Any(r => r.GetProperty("description").GetString()!.Contains("k8s/pod/pod1", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10),
            () => "the agent did not see the KSR pod record");
        await node.DeletePodAsync("pod1", _pods[0], "cidrestart1");
        Assert.Contains("pod1", (await node.GetJsonAsync("/contiv/v1/ipam/allocations")).ToString(), StringComparison.Ordinal);

        using var ping = StartPing(_pods[1], "10.1.1.1", count: 150, intervalSeconds: 0.2);
        await etcd.StopAsync();
        var pod3 = Ns.Create("pod3");
        var during = await node.AddPodAsync("pod3", pod3, "cidoutage3");
        Assert.Equal(0u, during.Result);
        await Task.Delay(TimeSpan.FromSeconds(30));
        Assert.True(NetnsScope.Ping(pod3, "10.1.1.3", count: 1));
        await etcd.StartAgainAsync();

        await etcd.DeletePrefixAsync(podKey);
        await VswitchNode.WaitUntilAsync(
            async () => !(await node.GetJsonAsync("/contiv/v1/ipam/allocations")).ToString().Contains("pod1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            () => $"deletion of the KSR pod record after the outage was not applied; agent log:\n{node.Tail(node.AgentLog)}");
        // Reconnecting to etcd restarts the watch from a fresh snapshot: a remote resync (SPEC §1.6.1).
        await VswitchNode.WaitUntilAsync(
            async () => (await node.GetJsonAsync("/controller/event-history")).EnumerateArray()
                .Count(r => r.GetProperty("description").GetString()!.StartsWith("DB Resync (etcd", StringComparison.Ordinal)) >= 2,
            TimeSpan.FromSeconds(30),
            () => $"no remote resync after etcd came back; agent log:\n{node.Tail(node.AgentLog)}");
        var (sent, received) = WaitPing(ping);
        Assert.True(sent - received <= 1, $"ping lost {sent - received} of {sent} packets during the etcd outage");
        Assert.True((await node.GetJsonAsync("/readiness")).GetProperty("state").GetString() == "OK");
    }

    private static string Describe(DumpReply d)
        => string.Join('\n', d.Interfaces.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => $"{i.Name} {i.SwIfIndex} {i.DevName} vrf{i.Vrf} {string.Join(',', i.IpAddresses)} {i.UnnumberedTo}")
            .Concat(d.Routes.Select(r => $"{r.VrfId} {r.DstNetwork} {r.NextHopAddr} {r.OutInterface} {r.Type}").Order(StringComparer.Ordinal))
            .Concat(d.Arps.Where(a => a.Static).Select(a => $"{a.Interface} {a.IpAddress} {a.PhysAddress}").Order(StringComparer.Ordinal)));

    private static Process StartPing(string ns, string ip, int count, double intervalSeconds)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", intervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-W", "1", ip })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    private static (int Sent, int Received) WaitPing(Process ping)
    {
        var output = ping.StandardOutput.ReadToEnd();
        ping.WaitForExit(120_000);
        var m = PingSummary().Match(output);
        Assert.True(m.Success, $"no ping summary in: {output}");
        return (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex PingSummary();
}
