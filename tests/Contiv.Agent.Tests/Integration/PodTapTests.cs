using Contiv.Agent.Addressing;
using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;
using Route = Contiv.Model.Vpp.Route;
using RouteType = Contiv.Model.Vpp.RouteType;
using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// How a pod's TAP comes and goes (docs/performance.md, CNI section): contiv-vpp creates it directly
/// inside the pod namespace under its final name — the node's host namespace never sees a link come
/// or go — and on delete the name is gone from the pod when the reply arrives, while the kernel's slow
/// unregistration finishes in the background.
/// </summary>
[Collection("integration")]
public sealed class PodTapTests : SingleNodeTestBase
{
    protected override string AgentConfig => "ipamConfig:\n  podSubnetCIDR: 10.1.0.0/16\n  podSubnetOneNodePrefixLen: 24\n";

    [RootFact]
    public async Task Pod_tap_is_born_in_the_pod_namespace_and_its_name_is_free_again_when_delete_returns()
    {
        var node = Node!;
        var pod = Ns.Create("direct");
        using var nodeNs = NetworkNamespace.Open(node.Netns);
        using var podNs = NetworkNamespace.Open(pod);
        using var hostWatch = LinkWatcher.Start(nodeNs);
        using var podWatch = LinkWatcher.Start(podNs);

        var reply = await node.AddPodAsync("direct", pod, "ciddirect1");
        Assert.Equal("10.1.1.2/32", reply.Interfaces[0].IpAddresses[0].Address);
        Assert.True(NetnsScope.Ping(pod, "10.1.1.1", count: 2), "the pod cannot ping its gateway through the TAP");
        Assert.Contains(MacAddresses.PodMac("ciddirect1"), Shell.Run($"ip -n {pod} link show dev eth0").StdOut, StringComparison.Ordinal);

        // The pod namespace saw one link appear, eth0, under its final name ...
        await Task.Delay(300);
        var podEvents = Drain(podWatch);
        Assert.Equal(["eth0"], podEvents.Where(e => e.Kind == LinkEventKind.Added).Select(e => e.Link.Name));
        Assert.All(podEvents, e => Assert.True(e.Link.Name is "eth0" or "lo", $"unexpected link event in the pod: {e}"));

        // ... and the node's host namespace (where contiv-vpp runs) saw no link appear or disappear.
        var hostEvents = Drain(hostWatch);
        Assert.DoesNotContain(hostEvents, e => e.Kind is LinkEventKind.Added or LinkEventKind.Deleted);

        // Delete: eth0 is gone (and passes nothing) when the reply comes; the retired link is unregistered soon after.
        Assert.Equal(0u, (await node.DeletePodAsync("direct", pod, "ciddirect1")).Result);
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} -br link").StdOut, StringComparison.Ordinal);
        VswitchNode.WaitUntil(() => Shell.Run($"ip -n {pod} -br link").StdOut.Trim().Split('\n').Length == 1, TimeSpan.FromSeconds(5),
            "the retired TAP did not disappear from the pod namespace: " + Shell.Run($"ip -n {pod} -br link").StdOut);

        // The same pod can be wired into the same namespace again right away.
        reply = await node.AddPodAsync("direct", pod, "ciddirect1");
        Assert.Equal(0u, reply.Result);
        Assert.True(NetnsScope.Ping(pod, "10.1.1.1", count: 1), "the re-added pod cannot ping its gateway");
        Assert.Equal(0u, (await node.DeletePodAsync("direct", pod, "ciddirect1")).Result);
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} -br link").StdOut, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_data_plane_batch_reports_each_operation_done_failed_or_skipped()
    {
        // The scheduler's batches (docs/agent.md, "Batching") rely on this mapping of contiv-vpp's reply.
        var dataplane = Node!.Dataplane;
        static ConfigOp Put(ConfigOp op)
        {
            op.Action = ConfigOp.Types.Action.Put;
            return op;
        }

        var results = dataplane.Execute(
        [
            new KvBatchOperation<ConfigOp>(Put(new ConfigOp { Vrf = new VrfTable { Id = 57, Label = "batch-test" } }), "vrf 57"),
            new KvBatchOperation<ConfigOp>(Put(new ConfigOp { Route = new Route { VrfId = 58, DstNetwork = "10.58.0.0/16", Type = RouteType.Drop } }), "route in missing vrf 58"),
            new KvBatchOperation<ConfigOp>(Put(new ConfigOp { Route = new Route { VrfId = 57, DstNetwork = "10.57.0.0/16", Type = RouteType.Drop } }), "route in vrf 57"),
        ]);

        Assert.Equal(3, results.Count);
        Assert.True(results[0].Done, results[0].Error?.Message);
        Assert.False(results[1].Done);
        Assert.Contains("route in missing vrf 58", results[1].Error!.Message, StringComparison.Ordinal);
        Assert.Equal(KvBatchResult.Skipped, results[2]);
        Assert.Contains(Node.Dump().Vrfs, v => v.Id == 57);
        Assert.DoesNotContain(Node.Dump().Routes, r => r.DstNetwork == "10.57.0.0/16");

        // Deleting what is not there is success, as for a single operation.
        var gone = dataplane.Execute(
        [
            new KvBatchOperation<ConfigOp>(new ConfigOp { Action = ConfigOp.Types.Action.Delete, Route = new Route { VrfId = 57, DstNetwork = "10.99.0.0/16", Type = RouteType.Drop } }, "missing route"),
            new KvBatchOperation<ConfigOp>(new ConfigOp { Action = ConfigOp.Types.Action.Delete, Vrf = new VrfTable { Id = 57 } }, "vrf 57"),
        ]);
        Assert.All(gone, r => Assert.True(r.Done, r.Error?.Message));
        Assert.DoesNotContain(Node.Dump().Vrfs, v => v.Id == 57);
    }

    [RootFact]
    public async Task Delete_then_immediate_re_add_into_the_same_namespace_works_many_times()
    {
        var node = Node!;
        var pod = Ns.Create("churn");
        for (var i = 0; i < 10; i++)
        {
            var reply = await node.AddPodAsync("churn", pod, "cidchurn01");
            Assert.Equal(0u, reply.Result);
            Assert.Equal(0u, (await node.DeletePodAsync("churn", pod, "cidchurn01")).Result);
        }

        await node.AddPodAsync("churn", pod, "cidchurn01");
        Assert.True(NetnsScope.Ping(pod, "10.1.1.1", count: 1), "pod cannot ping its gateway after ten delete/add rounds");
        VswitchNode.WaitUntil(() => !Shell.Run($"ip -n {pod} -br link").StdOut.Contains("cvdel", StringComparison.Ordinal), TimeSpan.FromSeconds(5),
            "retired TAPs linger in the pod namespace: " + Shell.Run($"ip -n {pod} -br link").StdOut);
        Assert.Equal(2, Shell.Run($"ip -n {pod} -br link").StdOut.Trim().Split('\n').Length);
    }

    private static List<LinkEvent> Drain(LinkWatcher watcher)
    {
        var list = new List<LinkEvent>();
        while (watcher.Events.TryRead(out var e))
        {
            list.Add(e);
        }

        return list;
    }
}
