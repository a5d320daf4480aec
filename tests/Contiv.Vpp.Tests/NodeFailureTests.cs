using Contiv.Vpp.Graph;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>A node that throws costs its vector only: packets dropped and counted, the data plane keeps forwarding.</summary>
public sealed class NodeFailureTests
{
    private const string Faulty = "test-faulty-feature";

    /// <summary>An ip4-unicast feature that throws for packets with IP ID 0xdead, before or after handing them on.</summary>
    private sealed class FaultyFeature(bool throwAfterHandingOn) : GraphNode(Faulty, NodeKind.Internal)
    {
        public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
        {
            foreach (var b in buffers)
            {
                var p = Pool.Data(b);
                var bad = p[4] == 0xde && p[5] == 0xad;
                if (bad && !throwAfterHandingOn)
                {
                    throw new InvalidOperationException("injected node bug");
                }

                ctx.NextFeature(Dataplane.Graph.Ip4Unicast, b);
                if (bad)
                {
                    throw new InvalidOperationException("injected node bug after the packet was handed on");
                }
            }
        }
    }

    private static TwoPortDataplane WithFaultyFeature(bool throwAfterHandingOn)
    {
        var t = new TwoPortDataplane(extendGraph: dp =>
        {
            dp.Graph.Add(new FaultyFeature(throwAfterHandingOn), dp);
            dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, Faulty));
        });
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, Faulty, enable: true);
        return t;
    }

    [Fact]
    public void A_throwing_node_drops_and_counts_its_packets_and_forwarding_continues()
    {
        using var t = WithFaultyFeature(throwAfterHandingOn: false);

        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1), id: 0xdead));
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 2), id: 7));

        Assert.Equal(7, Assert.Single(t.Out1)[19]); // only the good packet left
        Assert.Equal(1, t.ErrorCount(Faulty, GraphNode.ExceptionReason));
        Assert.Equal(1, t.Dp.NodeFailures);
        Assert.Contains(GraphNode.ExceptionReason, t.Run("show errors"), StringComparison.Ordinal);
        Assert.Equal(0, t.Dp.BuffersInUse());
    }

    [Fact]
    public void Packets_a_node_handed_on_before_throwing_are_not_freed_twice()
    {
        using var t = WithFaultyFeature(throwAfterHandingOn: true);

        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1), id: 0xdead));

        Assert.Single(t.Out1);
        Assert.Equal(1, t.Dp.NodeFailures);
        Assert.Equal(0, t.Dp.BuffersInUse());
        Assert.Empty(t.Dp.Buffers.Outstanding());
    }

    [Fact]
    public void A_ttl_1_packet_waiting_for_arp_whose_pod_interface_was_deleted_is_dropped_on_the_reply()
    {
        using var t = new TwoPortDataplane();
        // TTL 1 towards an unresolved neighbour on pg1: it waits for ARP (the TTL check is in ip4-rewrite).
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1), ttl: 1));
        Assert.Single(t.Out1); // the ARP request
        t.Dp.DeleteInterface(t.Pg0); // the pod goes away (its TAP is deleted)

        t.Dp.Inject(t.Pg1, Packets.Ethernet(t.Pg1.Mac, TwoPortDataplane.HostB, 0x0806,
            Packets.Arp(2, TwoPortDataplane.HostB, "10.0.1.2", t.Pg1.Mac, "10.0.1.1")));

        // The time-exceeded error has nowhere to go: dropped under its own reason, not a node failure.
        Assert.Equal(0, t.Dp.NodeFailures);
        Assert.Equal(1, t.ErrorCount("ip4-icmp-error", "rx interface deleted"));
        Assert.Equal(0, t.Dp.BuffersInUse());
    }
}
