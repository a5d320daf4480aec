using System.Buffers.Binary;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Ip4;

/// <summary>
/// ip4-source-check (an ip4-unicast feature, VPP's strict uRPF "ip4-source-check-via-rx"): a packet is
/// let through only when the route to its source address leaves through the interface it arrived on.
/// Enabled on pod TAPs (the agent sets <c>source_check</c>), it stops a pod from sending with another
/// pod's or node's address: the pod's /32 route points at its own TAP and nowhere else.
/// </summary>
internal sealed class Ip4SourceCheckNode : GraphNode
{
    /// <summary>Node name (also the feature name).</summary>
    public const string NodeName = "ip4-source-check";

    private readonly ErrorSlot _errSpoofed;

    /// <summary>Creates the node.</summary>
    public Ip4SourceCheckNode()
        : base(NodeName, NodeKind.Internal)
        => _errSpoofed = AddError("source address not reachable via the rx interface (spoofed)");

    /// <inheritdoc />
    public override unsafe void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var fibs = Dataplane.FibArray;
        var arc = Dataplane.Graph.Ip4Unicast;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var src = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(Pool.Data(b) + 12, 4));
            var table = (uint)m.FibIndex < (uint)fibs.Length ? fibs[m.FibIndex] : null;
            if (table is null || !LeavesVia(table.Lookup(src).Forwarding, m.RxSwIfIndex))
            {
                ctx.Drop(b, Error(_errSpoofed));
                continue;
            }

            ctx.NextFeature(arc, b);
        }
    }

    private static bool LeavesVia(Dpo dpo, int sw)
    {
        if (dpo.Paths is { } paths)
        {
            foreach (var p in paths)
            {
                if (p.Kind is DpoKind.Adjacency or DpoKind.Glean && p.SwIfIndex == sw)
                {
                    return true;
                }
            }

            return false;
        }

        return dpo.Kind is DpoKind.Adjacency or DpoKind.Glean && dpo.SwIfIndex == sw;
    }
}
