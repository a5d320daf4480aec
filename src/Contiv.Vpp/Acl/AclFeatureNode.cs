using Contiv.Vpp.Graph;
using Contiv.Vpp.Ip4;
using Contiv.Vpp.Nat;

namespace Contiv.Vpp.Acl;

/// <summary>
/// The ACL plugin's two feature nodes (one class, two registered instances, as VPP's
/// acl-plugin-{in,out}-ip4-fa):
/// <list type="bullet">
/// <item><c>acl-plugin-in-ip4-fa</c> on the ip4-unicast arc of interfaces with an input ACL list, after the
/// source check and before NAT: it sees packets as they arrived (a Service VIP before DNAT).</item>
/// <item><c>acl-plugin-out-ip4-fa</c> on the ip4-output arc of interfaces with an output ACL list, before
/// nat44-in2out-output: it sees packets as routed (after DNAT, before the post-routing SNAT).</item>
/// </list>
/// Each packet is checked against the interface's sessions, then its ACL list; denied packets are dropped
/// and counted in <c>show errors</c>.
/// </summary>
internal sealed class AclFeatureNode : GraphNode
{
    /// <summary>Name of the input instance.</summary>
    public const string InputNodeName = "acl-plugin-in-ip4-fa";

    /// <summary>Name of the output instance.</summary>
    public const string OutputNodeName = "acl-plugin-out-ip4-fa";

    /// <summary>Sessions per timeout class <see cref="AclPlugin.Expire"/> may remove per vector.</summary>
    public const int ExpireBudget = 64;

    private readonly bool _input;
    private readonly ErrorSlot _errChecked;
    private readonly ErrorSlot _errPermit;
    private readonly ErrorSlot _errDeny;
    private readonly ErrorSlot _errNewSession;
    private readonly ErrorSlot _errExistingSession;
    private readonly ErrorSlot _errTooManySessions;
    private readonly ErrorSlot _errMalformed;

    private AclFeatureNode(bool input)
        : base(input ? InputNodeName : OutputNodeName, NodeKind.Internal)
    {
        _input = input;
        _errChecked = AddError("checked packets");
        _errPermit = AddError("ACL permit packets");
        _errDeny = AddError("ACL deny packets");
        _errNewSession = AddError("new sessions added");
        _errExistingSession = AddError("existing session packets");
        _errTooManySessions = AddError("too many sessions to add new");
        _errMalformed = AddError("not an IPv4 header");
    }

    /// <summary>Registers both instances and their places on the arcs.</summary>
    public static void Register(Dataplane dp)
    {
        ArgumentNullException.ThrowIfNull(dp);
        dp.Graph.Add(new AclFeatureNode(input: true), dp);
        dp.Graph.Add(new AclFeatureNode(input: false), dp);
        dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4UnicastName, InputNodeName)
        {
            RunsAfter = [Ip4SourceCheckNode.NodeName],
            RunsBefore = [Nat44Out2InNode.NodeName, Nat44In2OutNode.NodeName],
        });
        dp.Graph.AddFeature(new FeatureRegistration(FeatureArcs.Ip4OutputName, OutputNodeName) { RunsBefore = [Nat44In2OutNode.OutputNodeName] });
    }

    /// <inheritdoc />
    public override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var arc = _input ? Dataplane.Graph.Ip4Unicast : Dataplane.Graph.Ip4Output;
        var acl = Dataplane.AclIfCreated;
        if (acl is null)
        {
            foreach (var b in buffers)
            {
                ctx.NextFeature(arc, b);
            }

            return;
        }

        ctx.CountError(Error(_errChecked), buffers.Length);
        // Sessions and hit counters are single-writer: one lock per vector (uncontended: tens of ns).
        lock (acl.Lock)
        {
            var now = Dataplane.NatNow();
            acl.Expire(now, ExpireBudget);
            foreach (var b in buffers)
            {
                ref var m = ref Pool.Meta(b);
                // ip4-unicast: the buffer starts at the IPv4 header; ip4-output: after ip4-rewrite, at L3Offset.
                var verdict = _input
                    ? acl.Check(m.RxSwIfIndex, input: true, Pool.Span(b), now)
                    : acl.Check(m.TxSwIfIndex, input: false, Pool.SpanFrom(b, m.L3Offset), now);
                switch (verdict)
                {
                    case AclVerdict.NotChecked:
                        ctx.NextFeature(arc, b);
                        break;
                    case AclVerdict.Permit:
                        ctx.CountError(Error(_errPermit));
                        ctx.NextFeature(arc, b);
                        break;
                    case AclVerdict.PermitNewSession:
                        ctx.CountError(Error(_errPermit));
                        ctx.CountError(Error(_errNewSession));
                        ctx.NextFeature(arc, b);
                        break;
                    case AclVerdict.ExistingSession:
                        ctx.CountError(Error(_errExistingSession));
                        ctx.NextFeature(arc, b);
                        break;
                    case AclVerdict.TooManySessions:
                        ctx.Drop(b, Error(_errTooManySessions));
                        break;
                    case AclVerdict.Malformed:
                        ctx.Drop(b, Error(_errMalformed));
                        break;
                    default:
                        ctx.Drop(b, Error(_errDeny));
                        break;
                }
            }
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        ref var m = ref Pool.Meta(buffer);
        return $"{Name}: sw_if_index {(_input ? m.RxSwIfIndex : m.TxSwIfIndex)}";
    }
}
