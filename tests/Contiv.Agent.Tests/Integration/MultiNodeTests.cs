using Contiv.Testing;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// Two (then three) nodes sharing one etcd: node IDs 1, 2, 3, the VXLAN full mesh over an underlay
/// bridge, pods pinging across nodes, and teardown when a node's VppNode disappears. The test plays
/// KSR's part by writing the k8s Node records (management IPs) itself.
/// </summary>
[Collection("integration")]
public sealed class MultiNodeTests : IAsyncLifetime
{
    private readonly NetnsScope _ns = new();
    private readonly List<VswitchNode> _nodes = [];
    private EtcdServer? _etcd;
    private string _underlay = string.Empty;

    public Task InitializeAsync() => Fixtures.StartOrCleanUpAsync(StartAsync, DisposeAsync);

    private async Task StartAsync()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        _etcd = await EtcdServer.StartAsync();
        _underlay = _ns.Create("ul");
        _ns.Bridge("br0", _underlay);
    }

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            await n.DisposeAsync();
        }

        _ns.Dispose();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }

    [RootFact]
    public async Task Agents_started_together_get_distinct_ids_and_a_freed_id_is_reused()
    {
        // No k8s Node records: the nodes have no management IPs, so no tunnels are built.
        var nodes = Enumerable.Range(1, 3).Select(i => new VswitchNode($"solo{i}", _ns.Create($"s{i}"), _etcd!.ClientUrl, "")).ToList();
        _nodes.AddRange(nodes);
        foreach (var n in nodes)
        {
            n.StartVpp();
        }

        foreach (var n in nodes)
        {
            n.StartAgent();
        }

        foreach (var n in nodes)
        {
            await n.WaitReadyAsync();
        }

        var ids = new List<int>();
        foreach (var n in nodes)
        {
            ids.Add((await n.GetJsonAsync("/contiv/v1/ipam")).GetProperty("nodeId").GetInt32());
        }

        Assert.Equal([1, 2, 3], ids.Order());
        for (var id = 1; id <= 3; id++)
        {
            var value = await _etcd!.GetAsync($"/vnf-agent/contiv-ksr/allocatedIDs/{id}");
            Assert.Contains($"\"id\":{id}", value, StringComparison.Ordinal);
            Assert.Contains($"192.168.16.{id}/24", value, StringComparison.Ordinal);
        }

        // KSR releases an ID by deleting the VppNode; the next new node takes the first gap.
        var second = nodes[ids.IndexOf(2)];
        second.KillAgent();
        await _etcd!.DeletePrefixAsync("/vnf-agent/contiv-ksr/allocatedIDs/2");
        var late = new VswitchNode("late", _ns.Create("late"), _etcd.ClientUrl, "");
        _nodes.Add(late);
        late.StartVpp();
        late.StartAgent();
        await late.WaitReadyAsync();
        var lateIpam = await late.GetJsonAsync("/contiv/v1/ipam");
        Assert.Equal(2, lateIpam.GetProperty("nodeId").GetInt32());
        Assert.Equal("10.1.2.0/24", lateIpam.GetProperty("podSubnetThisNode").GetString());
    }

    private async Task<VswitchNode> AddNodeAsync(int i)
    {
        var ns = _ns.Create($"n{i}");
        _ns.Veth("eth1", ns, $"ul{i}", _underlay);
        NetnsScope.Enslave(_underlay, $"ul{i}", "br0");
        Shell.Ip($"-n {ns} addr add 10.20.0.{i}/32 dev lo");
        await _etcd!.PutAsync($"/vnf-agent/contiv-ksr/k8s/node/node{i}",
            $$"""{"name":"node{{i}}","addresses":[{"type":"NodeInternalIP","address":"10.20.0.{{i}}"}]}""");
        var config = $"""
            nodeConfig:
              - nodeName: node{i}
                mainVPPInterface:
                  interfaceName: eth1
            controller:
              delayRetry: 200ms
              maxRetryAttempts: 2
            """;
        var node = new VswitchNode($"node{i}", ns, _etcd.ClientUrl, config);
        _nodes.Add(node);
        node.StartVpp();
        node.StartAgent();
        await node.WaitReadyAsync();
        return node;
    }

    private static async Task WaitForTunnelsAsync(VswitchNode node, params int[] remoteIds)
    {
        await VswitchNode.WaitUntilAsync(
            () => Task.FromResult(remoteIds.All(id => node.Dump().Interfaces.Any(i => i.Name == $"vxlan-default-{id}"))
                && node.Dump().Interfaces.Count(i => i.Name.StartsWith("vxlan-default-", StringComparison.Ordinal)) == remoteIds.Length),
            TimeSpan.FromSeconds(30),
            () => $"{node.Name}: expected tunnels to {string.Join(",", remoteIds)}; agent log:\n{node.Tail(node.AgentLog)}");
    }

    [RootFact]
    public async Task Nodes_get_ids_build_the_vxlan_mesh_and_pods_ping_across_nodes()
    {
        var n1 = await AddNodeAsync(1);
        var n2 = await AddNodeAsync(2);
        Assert.Equal(1, (await n1.GetJsonAsync("/contiv/v1/ipam")).GetProperty("nodeId").GetInt32());
        Assert.Equal(2, (await n2.GetJsonAsync("/contiv/v1/ipam")).GetProperty("nodeId").GetInt32());
        Assert.Contains("192.168.16.2/24", await _etcd!.GetAsync("/vnf-agent/contiv-ksr/allocatedIDs/2") ?? string.Empty, StringComparison.Ordinal);

        await WaitForTunnelsAsync(n1, 2);
        await WaitForTunnelsAsync(n2, 1);
        var tunnel = n1.Dump().Interfaces.Single(i => i.Name == "vxlan-default-2");
        Assert.Equal(("192.168.16.1", "192.168.16.2", 10u), (tunnel.Vxlan.SrcAddress, tunnel.Vxlan.DstAddress, tunnel.Vxlan.Vni));
        var d1 = n1.Dump();
        Assert.Contains(d1.Routes, r => r.VrfId == 1 && r.DstNetwork == "10.1.2.0/24" && r.NextHopAddr == "192.168.30.2");
        Assert.Contains(d1.Routes, r => r.VrfId == 1 && r.DstNetwork == "172.30.2.0/24" && r.NextHopAddr == "192.168.30.2");
        Assert.Contains(d1.Arps, a => a.Interface == "vxlanBVI" && a.IpAddress == "192.168.30.2" && a.PhysAddress == "12:2b:00:00:00:02");
        var bd = Assert.Single(d1.BridgeDomains, b => b.Name == "vxlanBD");
        Assert.Equal(["vxlan-default-2", "vxlanBVI"], bd.Interfaces.Select(m => m.Name).Order(StringComparer.Ordinal));

        var p1 = _ns.Create("p1");
        var p2 = _ns.Create("p2");
        Assert.Equal("10.1.1.2/32", (await n1.AddPodAsync("a", p1, "cidmulti1")).Interfaces[0].IpAddresses[0].Address);
        Assert.Equal("10.1.2.2/32", (await n2.AddPodAsync("b", p2, "cidmulti2")).Interfaces[0].IpAddresses[0].Address);
        Assert.True(NetnsScope.Ping(p1, "10.1.2.2", count: 3), "pod on node1 cannot ping pod on node2");
        Assert.True(NetnsScope.Ping(p2, "10.1.1.2", count: 3), "pod on node2 cannot ping pod on node1");

        // Restarting node1's agent inside the mesh touches nothing (tunnels, BD, FIB, routes compare equal).
        var before = n1.Dump();
        n1.KillAgent();
        n1.StartAgent();
        await n1.WaitReadyAsync();
        var startup = (await n1.GetJsonAsync("/scheduler/txn-history"))[0];
        Assert.Empty(startup.GetProperty("operations").EnumerateArray()
            .Where(o => o.GetProperty("operation").GetString() is "Create" or "Delete" or "Update")
            .Select(o => o.GetProperty("key").GetString()));
        Assert.Equal(before.Interfaces.Select(i => $"{i.Name} {i.SwIfIndex}").Order(), n1.Dump().Interfaces.Select(i => $"{i.Name} {i.SwIfIndex}").Order());
        Assert.True(NetnsScope.Ping(p1, "10.1.2.2", count: 1));

        // A third node joins: both meshes grow, and its pod reaches the others.
        var n3 = await AddNodeAsync(3);
        await WaitForTunnelsAsync(n1, 2, 3);
        await WaitForTunnelsAsync(n2, 1, 3);
        await WaitForTunnelsAsync(n3, 1, 2);
        var p3 = _ns.Create("p3");
        Assert.Equal("10.1.3.2/32", (await n3.AddPodAsync("c", p3, "cidmulti3")).Interfaces[0].IpAddresses[0].Address);
        Assert.True(NetnsScope.Ping(p3, "10.1.1.2", count: 3), "pod on node3 cannot ping pod on node1");
        Assert.True(NetnsScope.Ping(p3, "10.1.2.2", count: 3), "pod on node3 cannot ping pod on node2");

        // Node 3's VppNode disappears (KSR does this when the k8s node is deleted): its tunnel and routes go.
        await _etcd.DeletePrefixAsync("/vnf-agent/contiv-ksr/allocatedIDs/3");
        await WaitForTunnelsAsync(n1, 2);
        await WaitForTunnelsAsync(n2, 1);
        Assert.DoesNotContain(n1.Dump().Routes, r => r.DstNetwork == "10.1.3.0/24");
        Assert.DoesNotContain(n1.Dump().Arps, a => a.IpAddress == "192.168.30.3" && a.Static);
        Assert.True(NetnsScope.Ping(p1, "10.1.2.2", count: 2), "node1-node2 connectivity broken by node3 leaving");
    }
}
