using System.Collections;
using Contiv.Agent.Config;
using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;
using Contiv.Agent.IpNet;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Model.Ksr;
using Contiv.Model.NodeSync;
using Microsoft.Extensions.Logging.Abstractions;

namespace Contiv.Agent.Tests.NodeSync;

/// <summary>nodesync turns KSR changes into NodeUpdate events; ipnet turns those into mesh changes.</summary>
public class NodeUpdateTests
{
    private readonly KubeStateData _kube = new();
    private readonly List<AgentEvent> _followUps = [];
    private readonly AgentContext _ctx;
    private readonly NodeSyncHandler _sync;

    public NodeUpdateTests()
    {
        var settings = NodeSettings.For(ConfigLoader.Parse(null, new Hashtable()), "node1");
        _ctx = new AgentContext(settings) { NodeId = 1 };
        _ctx.Addressing = new NodeAddressing(settings.Subnets, 1);
        _ctx.NodeIp = _ctx.Addressing.NodeIpOf(1);
        _ctx.Nodes["node1"] = new NodeInfo("node1", 1, ["192.168.16.1/24"], [], string.Empty);
        _sync = new NodeSyncHandler(_ctx, null!, _followUps.Add, NullLogger.Instance);
        _sync.UseKubeState(() => _kube);
    }

    private void Change(string resource, string key, Google.Protobuf.IMessage? prev, Google.Protobuf.IMessage? next)
    {
        _kube.Set(resource, key, next);
        _sync.Update(new KubeStateChange(resource, key, prev, next), null!);
    }

    private static VppNode Vpp(uint id, string name, string ip) => new() { Id = id, Name = name, IpAddresses = { ip } };

    private static Node K8s(string name, string ip) => new() { Name = name, Addresses = { new NodeAddress { Type = NodeAddress.Types.AddressType.NodeInternalIp, Address = ip } } };

    [Fact]
    public void Joining_changing_and_leaving_nodes_produce_node_updates()
    {
        Change("node", "k8s/node/node2", null, K8s("node2", "10.20.0.2"));
        Assert.Empty(_followUps); // no node ID yet: nothing to connect to
        var v2 = Vpp(2, "node2", "192.168.16.2/24");
        Change("vppnode", "allocatedIDs/2", null, v2);
        var joined = Assert.IsType<NodeUpdate>(Assert.Single(_followUps));
        Assert.Null(joined.PrevState);
        Assert.Equal((2u, "10.20.0.2"), (joined.NewState!.Id, joined.NewState.MgmtIps.Single()));

        _followUps.Clear();
        Change("node", "k8s/node/node2", K8s("node2", "10.20.0.2"), K8s("node2", "10.20.0.2"));
        Assert.Empty(_followUps); // nothing relevant changed

        Change("node", "k8s/node/node2", K8s("node2", "10.20.0.2"), K8s("node2", "10.20.0.22"));
        var changed = Assert.IsType<NodeUpdate>(Assert.Single(_followUps));
        Assert.Equal("10.20.0.22", changed.NewState!.MgmtIps.Single());

        _followUps.Clear();
        Change("vppnode", "allocatedIDs/2", v2, null);
        var left = Assert.IsType<NodeUpdate>(Assert.Single(_followUps));
        Assert.NotNull(left.PrevState);
        Assert.Null(left.NewState);
    }

    [Fact]
    public void Changes_of_this_node_produce_no_node_update()
    {
        Change("vppnode", "allocatedIDs/1", null, Vpp(1, "node1", "192.168.16.1/24"));
        Assert.Empty(_followUps);
    }

    [Fact]
    public void Ipnet_replaces_the_config_of_a_changed_node_and_updates_the_bridge_domain()
    {
        var ipnet = new IpNetHandler(_ctx, new LinuxNamespaces(null), new PodStateStore(null, NullLogger.Instance), NullLogger.Instance);
        var prev = new NodeInfo("node2", 2, ["192.168.16.2/24"], ["10.20.0.2"], string.Empty);
        var next = prev with { MgmtIps = ["10.20.0.22"] };
        _ctx.Nodes["node2"] = next;
        var txn = new RecordingTxn();
        ipnet.Update(new NodeUpdate("node2", prev, next), txn);
        Assert.Contains("vpp/route/vrf/1/dst/10.20.0.22/32/gw/192.168.30.2/if/vxlanBVI", txn.Puts);
        Assert.Contains("vpp/route/vrf/1/dst/10.20.0.2/32/gw/192.168.30.2/if/vxlanBVI", txn.Deletes);
        Assert.Contains("vpp/interface/vxlan-default-2", txn.Puts);
        Assert.Contains("vpp/bd/vxlanBD", txn.Puts);

        _ctx.Nodes.Remove("node2");
        txn = new RecordingTxn();
        ipnet.Update(new NodeUpdate("node2", next, null), txn);
        Assert.Contains("vpp/interface/vxlan-default-2", txn.Deletes);
        Assert.Contains("vpp/l2fib/vxlanBD/12:2b:00:00:00:02", txn.Deletes);
        Assert.Contains("vpp/bd/vxlanBD", txn.Puts); // the BD stays, with the BVI only
        Assert.DoesNotContain("vpp/interface/vxlan-default-2", txn.Puts);
    }

    private sealed class RecordingTxn : IUpdateOperations
    {
        public HashSet<string> Puts { get; } = [];

        public HashSet<string> Deletes { get; } = [];

        public void Put(string key, object value)
        {
            Puts.Add(key);
            Deletes.Remove(key);
        }

        public void Delete(string key)
        {
            Deletes.Add(key);
            Puts.Remove(key);
        }

        public object? Get(string key) => null;
    }
}
