using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Nat;

/// <summary>
/// Inside→outside NAT44, in two placements (one class, two registered instances):
/// <list type="bullet">
/// <item><c>nat44-in2out</c> on the ip4-unicast arc of inside interfaces (after nat44-out2in): replies
/// of DNATed connections get the Service address back (un-DNAT), locals of bidirectional mappings are
/// SNATed to their external address; no dynamic SNAT (the output interface is not known yet).</item>
/// <item><c>nat44-in2out-output</c>, last on the ip4-output arc of output-feature interfaces: the same,
/// plus dynamic SNAT from the pool for everything else leaving through the interface. When the
/// translation moved the destination (twice-NAT replies) the packet is routed again from ip4-lookup.</item>
/// </list>
/// Packets NAT already translated in this pass (<see cref="BufferMeta.NatTranslated"/>) pass untouched.
/// </summary>
internal sealed class Nat44In2OutNode : NatFeatureNode
{
    /// <summary>Name of the ip4-unicast (inside interface) instance.</summary>
    public const string NodeName = "nat44-in2out";

    /// <summary>Name of the ip4-output (output-feature interface) instance.</summary>
    public const string OutputNodeName = "nat44-in2out-output";

    private readonly bool _output;
    private readonly NextSlot _nextLookup;

    private Nat44In2OutNode(bool output)
        : base(output ? OutputNodeName : NodeName)
    {
        _output = output;
        _nextLookup = AddNext("ip4-lookup");
    }

    /// <summary>Registers both instances and their places on the arcs.</summary>
    public static void Register(Dataplane dp)
    {
        ArgumentNullException.ThrowIfNull(dp);
        dp.Graph.Add(new Nat44In2OutNode(output: false), dp);
        dp.Graph.Add(new Nat44In2OutNode(output: true), dp);
        dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, NodeName) { RunsAfter = ["acl-plugin-in-ip4-fa", Nat44Out2InNode.NodeName] });
        dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4OutputName, OutputNodeName) { RunsAfter = ["acl-plugin-out-ip4-fa"] });
    }

    private FeatureArc Arc => _output ? Dataplane.Graph.Ip4Output : Dataplane.Graph.Ip4Unicast;

    /// <inheritdoc />
    protected override void Pass(WorkerContext ctx, int buffer) => ctx.NextFeature(Arc, buffer);

    /// <inheritdoc />
    protected override void Translate(WorkerContext ctx, Nat44 nat, ReadOnlySpan<int> buffers, double now)
    {
        var arc = Arc;
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            if (m.NatTranslated)
            {
                ctx.NextFeature(arc, b);
                continue;
            }

            NatResult r;
            Span<byte> ip;
            uint insideTable;
            uint dstBefore = 0;
            if (_output)
            {
                // After ip4-rewrite: Ethernet header at CurrentData, IPv4 at L3Offset. Flows are keyed in the
                // VRF the packet came from (the pod VRF), replies will arrive in the tx interface's VRF.
                ip = Pool.SpanFrom(b, m.L3Offset);
                insideTable = ifs[m.RxSwIfIndex] is { } rx ? TableOf(rx.FibIndex) : TableOf(m.FibIndex);
                var outsideTable = TableOf(ifs[m.TxSwIfIndex]!.FibIndex);
                dstBefore = DestinationOf(ip);
                r = nat.In2Out(ip, insideTable, outsideTable, now, dynamicSnat: true, ChecksumPartial(m));
            }
            else
            {
                ip = Pool.Span(b);
                insideTable = TableOf(m.FibIndex);
                r = nat.In2Out(ip, insideTable, insideTable, now, dynamicSnat: false, ChecksumPartial(m));
            }

            switch (r.Verdict)
            {
                case NatVerdict.Pass:
                    ctx.NextFeature(arc, b);
                    break;
                case NatVerdict.Translated:
                    m.NatTranslated = true;
                    CountTranslated(ctx);
                    if (_output && DestinationOf(ip) == dstBefore)
                    {
                        ctx.NextFeature(arc, b);
                        break;
                    }

                    var fib = Dataplane.FibIndexOfTable(r.Fib);
                    if (fib < 0)
                    {
                        ctx.Drop(b, NoFibError);
                        break;
                    }

                    m.FibIndex = fib;
                    if (_output)
                    {
                        // The destination moved: strip the Ethernet header and route again.
                        m.CurrentLength -= m.L3Offset - m.CurrentData;
                        m.CurrentData = m.L3Offset;
                        m.TxSwIfIndex = -1;
                        m.AdjIndex = -1;
                        ctx.Enqueue(Next(_nextLookup), b);
                    }
                    else
                    {
                        ctx.NextFeature(arc, b);
                    }

                    break;
                default:
                    ctx.Drop(b, DropError(r.Reason));
                    break;
            }
        }
    }
}
