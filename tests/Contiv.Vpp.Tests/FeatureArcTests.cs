using Contiv.Vpp.Graph;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>Feature arcs: declared order, per-interface enablement, and packets passing through feature nodes.</summary>
public sealed class FeatureArcTests
{
    private const string First = "test-feature-first";
    private const string Second = "test-feature-second";
    private const string Output = "test-feature-output";

    /// <summary>A feature that records (node, rx interface) for every packet and lets it continue on its arc.</summary>
    private sealed class RecordingFeature(string name, Func<NodeGraph, FeatureArc> arc, List<(string Node, int RxSwIfIndex)> seen)
        : GraphNode(name, NodeKind.Internal)
    {
        public override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
        {
            var a = arc(Dataplane.Graph);
            foreach (var b in buffers)
            {
                seen.Add((Name, Pool.Meta(b).RxSwIfIndex));
                ctx.NextFeature(a, b);
            }
        }
    }

    private static TwoPortDataplane WithTestFeatures(List<(string Node, int RxSwIfIndex)> seen)
    {
        var t = new TwoPortDataplane(extendGraph: dp =>
        {
            dp.Graph.Add(new RecordingFeature(Second, g => g.Ip4Unicast, seen), dp);
            dp.Graph.Add(new RecordingFeature(First, g => g.Ip4Unicast, seen), dp);
            dp.Graph.Add(new RecordingFeature(Output, g => g.Ip4Output, seen), dp);
            // Registered second-first on purpose: the declared constraint, not registration order, decides.
            dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, Second) { RunsAfter = [First] });
            dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, First) { RunsBefore = ["acl-not-built-in"] });
            dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4OutputName, Output));
        });
        t.Dp.SetNeighbor(t.Pg0, Ip4Address.Parse("10.0.0.2"), TwoPortDataplane.HostA, isStatic: true);
        t.Dp.SetNeighbor(t.Pg1, Ip4Address.Parse("10.0.1.2"), TwoPortDataplane.HostB, isStatic: true);
        return t;
    }

    private static void FromB(TwoPortDataplane t, byte[] ip)
        => t.Dp.Inject(t.Pg1, Packets.Ethernet(t.Pg1.Mac, TwoPortDataplane.HostB, 0x0800, ip));

    [Fact]
    public void Input_features_run_in_declared_order_only_on_the_interface_they_are_enabled_on()
    {
        var seen = new List<(string Node, int RxSwIfIndex)>();
        using var t = WithTestFeatures(seen);
        // Built-in features (ip4-source-check, NAT) share the arc; only the test features are ordered here.
        Assert.Equal([First, Second], t.Dp.Graph.Ip4Unicast.Features.Select(f => f.Name).Where(n => n.StartsWith("test-", StringComparison.Ordinal)));
        t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, Second, enable: true);
        t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, First, enable: true);

        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1)));
        FromB(t, Packets.Ip4("10.0.1.2", "10.0.0.2", 1, Packets.IcmpEcho(2, 1)));

        Assert.Equal([(First, t.Pg0.SwIfIndex), (Second, t.Pg0.SwIfIndex)], seen);
        Assert.Single(t.Out1); // the feature chain ends in ip4-lookup: the packet is still forwarded
        Assert.Single(t.Out0);
        Assert.Equal([First, Second], t.Dp.EnabledFeatures(t.Pg0, FeatureArcs.Ip4UnicastName));
        Assert.Empty(t.Dp.EnabledFeatures(t.Pg1, FeatureArcs.Ip4UnicastName));
    }

    [Fact]
    public void Disabled_feature_is_skipped_and_the_rest_of_the_chain_still_runs()
    {
        var seen = new List<(string Node, int RxSwIfIndex)>();
        using var t = WithTestFeatures(seen);
        t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, First, enable: true);
        t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, Second, enable: true);
        t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, First, enable: false);

        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1)));
        Assert.Equal([(Second, t.Pg0.SwIfIndex)], seen);
        Assert.Single(t.Out1);

        seen.Clear();
        t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, Second, enable: false);
        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 2)));
        Assert.Empty(seen);
        Assert.Equal(2, t.Out1.Count);
    }

    [Fact]
    public void Output_feature_runs_for_packets_leaving_its_interface_only()
    {
        var seen = new List<(string Node, int RxSwIfIndex)>();
        using var t = WithTestFeatures(seen);
        t.Dp.SetFeature(t.Pg1, FeatureArcs.Ip4OutputName, Output, enable: true);

        t.FromA(Packets.Ip4("10.0.0.2", "10.0.1.2", 1, Packets.IcmpEcho(1, 1))); // leaves pg1
        FromB(t, Packets.Ip4("10.0.1.2", "10.0.0.2", 1, Packets.IcmpEcho(2, 1))); // leaves pg0

        Assert.Equal([(Output, t.Pg0.SwIfIndex)], seen);
        var f = Assert.Single(t.Out1);
        Assert.Equal(63, Packets.Ttl(f)); // rewritten before the output arc
        Assert.Single(t.Out0);
    }

    [Fact]
    public void Enabling_a_node_that_is_not_a_feature_of_the_arc_fails_naming_it()
    {
        var seen = new List<(string Node, int RxSwIfIndex)>();
        using var t = WithTestFeatures(seen);
        var e = Assert.Throws<DataplaneException>(() => t.Dp.SetFeature(t.Pg0, FeatureArcs.Ip4UnicastName, Output, enable: true));
        Assert.Contains(Output, e.Message, StringComparison.Ordinal);
        Assert.Throws<DataplaneException>(() => t.Dp.SetFeature(t.Pg0, "ip6-unicast", First, enable: true));
    }

    [Fact]
    public void Cyclic_ordering_constraints_fail_at_graph_start_naming_the_features()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Dataplane(new DataplaneOptions
        {
            Buffers = 64,
            ExtendGraph = dp =>
            {
                dp.Graph.Add(new RecordingFeature(First, g => g.Ip4Unicast, []), dp);
                dp.Graph.Add(new RecordingFeature(Second, g => g.Ip4Unicast, []), dp);
                dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, First) { RunsAfter = [Second] });
                dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, Second) { RunsAfter = [First] });
            },
        }));
        Assert.Contains(First, e.Message, StringComparison.Ordinal);
        Assert.Contains(Second, e.Message, StringComparison.Ordinal);
    }
}
