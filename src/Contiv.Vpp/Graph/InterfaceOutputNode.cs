using Contiv.Vpp.Buffers;

namespace Contiv.Vpp.Graph;

/// <summary>
/// interface-output: hands each packet to its tx interface's device (VPP's &lt;if&gt;-output and
/// &lt;if&gt;-tx), counting tx packets/bytes; packets for admin-down interfaces are dropped.
/// </summary>
internal sealed class InterfaceOutputNode : GraphNode
{
    /// <summary>Node name.</summary>
    public const string NodeName = "interface-output";

    private readonly ErrorSlot _errDown;
    private readonly ErrorSlot _errNoInterface;

    /// <summary>Creates the node.</summary>
    public InterfaceOutputNode()
        : base(NodeName, NodeKind.Internal)
    {
        _errDown = AddError("interface is down");
        _errNoInterface = AddError("no such tx interface");
    }

    /// <inheritdoc />
    public override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
    {
        var ifs = Dataplane.InterfaceArray;
        foreach (var b in buffers)
        {
            ref var m = ref Pool.Meta(b);
            var sw = m.TxSwIfIndex;
            var intf = (uint)sw < (uint)ifs.Length ? ifs[sw] : null;
            if (intf?.Device is not { } dev)
            {
                ctx.Drop(b, Error(_errNoInterface));
                continue;
            }

            if (!intf.AdminUp)
            {
                ctx.Drop(b, Error(_errDown));
                continue;
            }

            ref var c = ref ctx.IfCounters[sw];
            c.TxPackets++;
            c.TxBytes += m.CurrentLength;
            if ((m.Flags & BufferFlags.Traced) != 0)
            {
                ctx.TraceRecord(b, intf.OutputNodeName, intf.DevName + "\n" + Ethernet.EthernetFormat.Describe(Pool.Span(b)));
                ctx.TraceRecord(b, intf.TxNodeName, $"buffer 0x{b:x}: current data {m.CurrentData - BufferPool.Headroom}, length {m.CurrentLength}, gso {m.Gso} size {m.GsoSize}");
            }

            dev.Transmit(ctx, b);
        }
    }
}
