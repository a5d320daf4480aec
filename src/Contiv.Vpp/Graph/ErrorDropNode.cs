using System.Globalization;
using Contiv.Vpp.Buffers;

namespace Contiv.Vpp.Graph;

/// <summary>error-drop: counts the packet's error and the rx interface's drops, then frees it.</summary>
internal sealed class ErrorDropNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "error-drop";

    /// <summary>Creates the node.</summary>
    public ErrorDropNode()
        : base(NodeName, NodeKind.Internal)
    {
    }

    /// <inheritdoc />
    public override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var errors = Dataplane.Graph.Errors;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            ctx.ErrorCounters[m.Error]++;
            if ((uint)m.RxSwIfIndex < (uint)ctx.IfCounters.Length)
            {
                ctx.IfCounters[m.RxSwIfIndex].Drops++;
            }

            if ((m.Flags & BufferFlags.Traced) != 0)
            {
                var (node, reason) = errors[m.Error];
                ctx.TraceRecord(b, "drop", $"{node.Name}: {reason}");
            }

            ctx.Buffers.Free(b);
        }
    }

    /// <inheritdoc />
    public override string FormatTrace(WorkerContext ctx, int buffer)
    {
        var sw = Pool.Meta(buffer).RxSwIfIndex;
        return "rx:" + (Dataplane.Interface(sw)?.DevName ?? sw.ToString(CultureInfo.InvariantCulture));
    }
}
