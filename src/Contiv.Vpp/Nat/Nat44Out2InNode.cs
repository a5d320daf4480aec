using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Nat;

/// <summary>
/// nat44-out2in, on the ip4-unicast arc of outside interfaces (after the input ACL): DNAT of packets to
/// static-mapping addresses (Service VIPs, NodePorts), translation of packets of existing sessions
/// (replies of dynamic SNAT). A translated packet is looked up in the VRF the engine returns and marked
/// <see cref="BufferMeta.NatTranslated"/>. A Service port without ready endpoints is refused at once:
/// the TCP RST / ICMP port unreachable from <see cref="NatRefusal"/> goes to ip4-lookup in the rx VRF
/// (back towards the client), the packet is dropped and counted.
/// </summary>
internal sealed class Nat44Out2InNode : NatFeatureNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "nat44-out2in";

    private readonly NextSlot _nextLookup;
    private readonly ErrorSlot _errRefusalSent;
    private readonly ErrorSlot _errNoBuffer;

    /// <summary>Creates the node.</summary>
    public Nat44Out2InNode()
        : base(NodeName)
    {
        _nextLookup = AddNext("ip4-lookup");
        _errRefusalSent = AddError("refusals sent (TCP RST / ICMP port unreachable)");
        _errNoBuffer = AddError("no buffer for a refusal");
    }

    /// <summary>Registers the node and its place on the ip4-unicast arc (after the input ACL).</summary>
    public static void Register(Dataplane dp)
    {
        ArgumentNullException.ThrowIfNull(dp);
        dp.Graph.Add(new Nat44Out2InNode(), dp);
        dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, NodeName) { RunsAfter = ["acl-plugin-in-ip4-fa"] });
    }

    /// <inheritdoc />
    protected override void Pass(WorkerContext ctx, int buffer) => ctx.NextFeature(Dataplane.Graph.Ip4Unicast, buffer);

    /// <inheritdoc />
    protected override void Translate(WorkerContext ctx, Nat44 nat, ReadOnlySpan<int> buffers, double now)
    {
        var arc = Dataplane.Graph.Ip4Unicast;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            if (m.NatTranslated)
            {
                ctx.NextFeature(arc, b);
                continue;
            }

            // On ip4-unicast the buffer starts at the IPv4 header (ip4-input trimmed it to total length).
            var rxTable = TableOf(m.FibIndex);
            var r = nat.Out2In(Pool.Span(b), rxTable, now, ChecksumPartial(m));
            switch (r.Verdict)
            {
                case NatVerdict.Pass:
                    ctx.NextFeature(arc, b);
                    break;
                case NatVerdict.Translated:
                    if (r.Fib != rxTable)
                    {
                        var fib = Dataplane.FibIndexOfTable(r.Fib);
                        if (fib < 0)
                        {
                            ctx.Drop(b, NoFibError);
                            break;
                        }

                        m.FibIndex = fib;
                    }

                    m.NatTranslated = true;
                    CountTranslated(ctx);
                    ctx.NextFeature(arc, b);
                    break;
                case NatVerdict.Refuse:
                    Refuse(ctx, b, ref m);
                    break;
                default:
                    ctx.Drop(b, DropError(r.Reason));
                    break;
            }
        }
    }

    private unsafe void Refuse(WorkerContext ctx, int b, ref BufferMeta m)
    {
        var reply = ctx.Buffers.Alloc();
        if (reply < 0)
        {
            ctx.CountError(Error(_errNoBuffer));
        }
        else
        {
            var len = NatRefusal.Build(Pool.Span(b), new Span<byte>(Pool.Data(reply), NatRefusal.MaxLength));
            if (len == 0)
            {
                ctx.Buffers.Free(reply);
            }
            else
            {
                ref var rm = ref Pool.Meta(reply);
                rm.CurrentLength = len;
                rm.L3Offset = rm.CurrentData;
                rm.RxSwIfIndex = m.RxSwIfIndex;
                rm.FibIndex = m.FibIndex;
                rm.Flags |= BufferFlags.LocallyOriginated;
                // Sourced from the VIP already: the output NAT feature must not SNAT it.
                rm.NatTranslated = true;
                ctx.CountError(Error(_errRefusalSent));
                ctx.Enqueue(Next(_nextLookup), reply);
            }
        }

        ctx.Drop(b, DropError(NatDropReason.NoEndpoint));
    }
}
