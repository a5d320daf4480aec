using Contiv.Agent.Addressing;
using Contiv.Testing;
using Grpc.Core;

namespace Contiv.Agent.Tests.Integration;

/// <summary>One node: real etcd, real contiv-vpp, real agent process, real namespaces and pings.</summary>
[Collection("integration")]
public sealed class SingleNodeTests : SingleNodeTestBase
{
    private const string Config = """
        ipamConfig:
          podSubnetCIDR: 10.1.0.0/16
          podSubnetOneNodePrefixLen: 24
        controller:
          delayRetry: 200ms
          maxRetryAttempts: 2
        """;

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public SingleNodeTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    protected override string AgentConfig => Config;

    [RootFact]
    public async Task Three_pods_get_the_predicted_addresses_and_ping_each_other_and_the_gateway()
    {
        var node = Node!;
        var pods = new[] { Ns.Create("pod1"), Ns.Create("pod2"), Ns.Create("pod3") };
        var ips = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var reply = await node.AddPodAsync($"pod{i + 1}", pods[i], $"cid{i + 1}aaaa");
            Assert.Equal(0u, reply.Result);
            var iface = Assert.Single(reply.Interfaces);
            Assert.Equal("eth0", iface.Name);
            Assert.Equal("/var/run/netns/" + pods[i], iface.Sandbox);
            // The pod side of the TAP as the pod's namespace sees it (runtimes such as podman require a MAC).
            Assert.Equal(MacAddresses.PodMac($"cid{i + 1}aaaa"), iface.Mac);
            Assert.True(iface.Mtu > 0, $"reply has no MTU for eth0 of pod{i + 1}");
            var ip = Assert.Single(iface.IpAddresses);
            Assert.Equal($"10.1.1.{i + 2}/32", ip.Address);
            Assert.Equal("10.1.1.1", ip.Gateway);
            var route = Assert.Single(reply.Routes);
            Assert.Equal(("0.0.0.0/0", "10.1.1.1"), (route.Dst, route.Gw));
            Assert.Empty(reply.Dns);
            ips.Add($"10.1.1.{i + 2}");
        }

        // Linux side as SPEC §2.4 says: eth0 with podIP/32 and podMAC, static ARP for the gateway, two routes.
        var addr = Shell.Run($"ip -n {pods[0]} -4 addr show dev eth0").StdOut;
        Assert.Contains("10.1.1.2/32", addr, StringComparison.Ordinal);
        var link = Shell.Run($"ip -n {pods[0]} link show dev eth0").StdOut;
        Assert.Contains(MacAddresses.PodMac("cid1aaaa"), link, StringComparison.Ordinal);
        var neigh = Shell.Run($"ip -n {pods[0]} neigh show dev eth0").StdOut;
        Assert.Contains($"10.1.1.1 lladdr {MacAddresses.VppMac("cid1aaaa")} PERMANENT", neigh, StringComparison.Ordinal);
        var routes = Shell.Run($"ip -n {pods[0]} route").StdOut;
        Assert.Contains("default via 10.1.1.1 dev eth0", routes, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^10\.1\.1\.1 dev eth0 .*scope link", routes);

        // Data plane side: TAP named vpp-tap-{cid} in VRF 1 unnumbered to podGwLoop, /32 route and static ARP.
        var dump = node.Dump();
        var tap = Assert.Single(dump.Interfaces, i => i.Name == "vpp-tap-cid1aaaa");
        Assert.Equal(1u, tap.Vrf);
        Assert.Equal("podGwLoop", tap.UnnumberedTo);
        Assert.Contains(dump.Routes, r => r.VrfId == 1 && r.DstNetwork == "10.1.1.2/32" && r.OutInterface == "vpp-tap-cid1aaaa");
        Assert.Contains(dump.Arps, a => a.Interface == "vpp-tap-cid1aaaa" && a.IpAddress == "10.1.1.2" && a.Static);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(NetnsScope.Ping(pods[i], "10.1.1.1", count: 2), $"pod{i + 1} cannot ping its gateway");
            for (var j = 0; j < 3; j++)
            {
                if (i != j)
                {
                    Assert.True(NetnsScope.Ping(pods[i], ips[j], count: 2), $"pod{i + 1} cannot ping {ips[j]}");
                }
            }
        }

        // Delete removes the TAP and the routes, and is idempotent.
        Assert.Equal(0u, (await node.DeletePodAsync("pod3", pods[2], "cid3aaaa")).Result);
        dump = node.Dump();
        Assert.DoesNotContain(dump.Interfaces, i => i.Name == "vpp-tap-cid3aaaa");
        Assert.DoesNotContain(dump.Routes, r => r.DstNetwork == "10.1.1.4/32");
        Assert.DoesNotContain(dump.Arps, a => a.Interface == "vpp-tap-cid3aaaa");
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pods[2]} link").StdOut, StringComparison.Ordinal);
        Assert.Equal(0u, (await node.DeletePodAsync("pod3", pods[2], "cid3aaaa")).Result);
        Assert.False(NetnsScope.Ping(pods[0], "10.1.1.4", count: 1, waitSeconds: 1));
        Assert.True(NetnsScope.Ping(pods[0], ips[1], count: 1));
    }

    [RootFact]
    public async Task Twenty_sequential_pod_adds_are_timed_and_all_pods_are_reachable()
    {
        var node = Node!;
        var timings = new List<double>();
        var namespaces = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var ns = Ns.Create($"t{i}");
            namespaces.Add(ns);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var reply = await node.AddPodAsync($"t{i}", ns, $"cidtime{i:D2}");
            timings.Add(sw.Elapsed.TotalMilliseconds);
            Assert.Equal($"10.1.1.{i + 2}/32", reply.Interfaces[0].IpAddresses[0].Address);
        }

        timings.Sort();
        _output.WriteLine($"CNI Add over gRPC, 20 sequential pods: p50 {timings[10]:F1} ms, max {timings[^1]:F1} ms");
        Assert.True(NetnsScope.Ping(namespaces[0], "10.1.1.21", count: 1));
        Assert.True(NetnsScope.Ping(namespaces[19], "10.1.1.2", count: 1));
        var sw2 = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            await node.DeletePodAsync($"t{i}", namespaces[i], $"cidtime{i:D2}");
        }

        _output.WriteLine($"CNI Delete, 20 sequential pods: mean {sw2.Elapsed.TotalMilliseconds / 20:F1} ms");
        Assert.DoesNotContain(node.Dump().Interfaces, i => i.Name.StartsWith("vpp-tap-cidtime", StringComparison.Ordinal));
    }

    [RootFact]
    public async Task Pod_namespace_given_as_a_proc_path_works()
    {
        var ns = Ns.Create("procpod");
        using var sleeper = System.Diagnostics.Process.Start("ip", ["netns", "exec", ns, "sleep", "60"]);
        try
        {
            var path = $"/proc/{sleeper.Id}/ns/net";
            VswitchNode.WaitUntil(() => File.Exists(path), TimeSpan.FromSeconds(5), $"{path} did not appear");
            var reply = await Node!.AddPodAsync("procpod", path, "cidproc01");
            Assert.Equal(path, reply.Interfaces[0].Sandbox);
            Assert.True(NetnsScope.Ping(ns, "10.1.1.1", count: 1));
            Assert.Equal(0u, (await Node.DeletePodAsync("procpod", path, "cidproc01")).Result);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [RootFact]
    public async Task Same_pod_asking_again_keeps_its_address()
    {
        var pod = Ns.Create("pod1");
        var first = await Node!.AddPodAsync("web", pod, "cidsame1");
        var again = await Node.AddPodAsync("web", pod, "cidsame1");
        Assert.Equal(first.Interfaces[0].IpAddresses[0].Address, again.Interfaces[0].IpAddresses[0].Address);
        Assert.True(NetnsScope.Ping(pod, "10.1.1.1", count: 1));
    }

    [RootFact]
    public async Task Re_added_pod_with_a_new_sandbox_replaces_the_obsolete_one()
    {
        var old = Ns.Create("old");
        var fresh = Ns.Create("new");
        await Node!.AddPodAsync("web", old, "cidold01");
        var reply = await Node.AddPodAsync("web", fresh, "cidnew01");
        Assert.Equal(0u, reply.Result);
        var dump = Node.Dump();
        Assert.DoesNotContain(dump.Interfaces, i => i.Name == "vpp-tap-cidold01");
        Assert.Contains(dump.Interfaces, i => i.Name == "vpp-tap-cidnew01");
        Assert.True(NetnsScope.Ping(fresh, "10.1.1.1", count: 1));
    }

    [RootFact]
    public async Task Bad_cni_input_is_a_clear_error_and_leaves_nothing_behind()
    {
        var node = Node!;
        var before = node.Dump();

        var e = await Assert.ThrowsAsync<RpcException>(() => node.AddPodAsync("ghost", "/var/run/netns/ct-does-not-exist", "cidghost"));
        Assert.Contains("ct-does-not-exist", e.Status.Detail, StringComparison.Ordinal);

        var noName = VswitchNode.Request("x", Ns.Create("noname"), "cidnoname", "eth0");
        noName.ExtraArguments = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default";
        e = await Assert.ThrowsAsync<RpcException>(() => node.Cni.AddAsync(noName).ResponseAsync);
        Assert.Contains("K8S_POD_NAME", e.Status.Detail, StringComparison.Ordinal);

        // Interface name clash: eth0 already exists in the pod namespace.
        var clash = Ns.Create("clash");
        Shell.Ip($"-n {clash} link add eth0 type veth peer name eth0peer");
        e = await Assert.ThrowsAsync<RpcException>(() => node.AddPodAsync("clash", clash, "cidclash"));
        Assert.Contains("clash", e.Status.Detail, StringComparison.Ordinal);

        var after = node.Dump();
        Assert.Equal(before.Interfaces.Select(i => i.Name).Order(), after.Interfaces.Select(i => i.Name).Order());
        Assert.Equal(before.Routes.Count, after.Routes.Count);
        Assert.Equal(before.Arps.Count(a => a.Static), after.Arps.Count(a => a.Static));
        var alloc = await node.GetJsonAsync("/contiv/v1/ipam/allocations");
        Assert.Equal(0, alloc.GetProperty("Pods").GetArrayLength());

        // The agent is still healthy; allocation continues after the last assigned address (SPEC §2.2),
        // which the reverted pod had held for a moment.
        var ok = Ns.Create("ok");
        var reply = await node.AddPodAsync("ok", ok, "cidok0001");
        Assert.Equal("10.1.1.3/32", reply.Interfaces[0].IpAddresses[0].Address);
        alloc = await node.GetJsonAsync("/contiv/v1/ipam/allocations");
        Assert.Equal("ok", Assert.Single(alloc.GetProperty("Pods").EnumerateArray()).GetProperty("PodID").GetProperty("Name").GetString());
        Assert.True(NetnsScope.Ping(ok, "10.1.1.1", count: 1));
    }

    [RootFact]
    public async Task Rest_endpoints_report_ipam_history_dumps_and_metrics()
    {
        var node = Node!;
        var pod = Ns.Create("pod1");
        await node.AddPodAsync("web", pod, "cidrest01");

        var ipam = await node.GetJsonAsync("/contiv/v1/ipam");
        Assert.Equal(1, ipam.GetProperty("nodeId").GetInt32());
        Assert.Equal("192.168.16.1", ipam.GetProperty("nodeIP").GetString());
        Assert.Equal("10.1.1.0/24", ipam.GetProperty("podSubnetThisNode").GetString());
        Assert.Equal("172.30.1.0/24", ipam.GetProperty("vppHostNetwork").GetString());

        var alloc = await node.GetJsonAsync("/contiv/v1/ipam/allocations");
        var p = Assert.Single(alloc.GetProperty("Pods").EnumerateArray());
        Assert.Equal("web", p.GetProperty("PodID").GetProperty("Name").GetString());
        Assert.Equal("10.1.1.2", p.GetProperty("MainIP").GetString());

        var history = await node.GetJsonAsync("/controller/event-history");
        Assert.Equal("DB Resync", history[0].GetProperty("name").GetString());
        Assert.Contains(history.EnumerateArray(), r => r.GetProperty("name").GetString() == "Add Pod");
        var one = await node.GetJsonAsync("/controller/event-history?seq-num=0");
        Assert.Equal(1, one.GetArrayLength());
        Assert.Equal("FullResync", one[0].GetProperty("method").GetString());

        var (resyncStatus, _) = await node.PostJsonAsync("/controller/resync", new { });
        Assert.Equal(System.Net.HttpStatusCode.OK, resyncStatus);
        await VswitchNode.WaitUntilAsync(
            async () => (await node.GetJsonAsync("/controller/event-history")).EnumerateArray().Count(r => r.GetProperty("name").GetString() == "DB Resync") == 2,
            TimeSpan.FromSeconds(10),
            () => "POST /controller/resync did not cause a DB resync");

        var nb = await node.GetJsonAsync("/scheduler/dump?descriptor=vpp-interface&state=NB");
        Assert.Contains(nb.EnumerateArray(), i => i.GetProperty("Key").GetString() == "vpp/interface/vpp-tap-cidrest01");
        var sb = await node.GetJsonAsync("/scheduler/dump?descriptor=vpp-interface&state=SB");
        Assert.Contains(sb.EnumerateArray(), i => i.GetProperty("Value").GetProperty("name").GetString() == "tap-vpp2");
        var txns = await node.GetJsonAsync("/scheduler/txn-history");
        Assert.True(txns.GetArrayLength() >= 2);

        var (status, body) = await node.PostJsonAsync("/vpp/command", new { vppclicommand = "show interface" });
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        var devName = node.Dump().Interfaces.Single(i => i.Name == "vpp-tap-cidrest01").DevName;
        Assert.Contains(devName, body, StringComparison.Ordinal);

        Assert.True(NetnsScope.Ping(pod, "10.1.1.1", count: 3));
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{node.RestPort}/metrics"));
        Assert.Contains("inPackets{node=\"node1\",interfaceName=\"vpp-tap-cidrest01\",podName=\"web\",podNamespace=\"default\"}", metrics, StringComparison.Ordinal);
    }
}
