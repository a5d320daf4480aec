using System.Globalization;
using Contiv.Vpp.Buffers;

namespace Contiv.Vpp.Graph;

/// <summary>error-drop: counts the packet's error and the rx interface's drops, then frees it.</summary>
public sealed class ErrorDropNode : GraphNode
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

/// <summary>
/// interface-output: hands each packet to its tx interface's device (VPP's &lt;if&gt;-output and
/// &lt;if&gt;-tx), counting tx packets/bytes; packets for admin-down interfaces are dropped.
/// </summary>
public sealed class InterfaceOutputNode : GraphNode
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

/// <summary>An input node: a named, traceable source of packets (devices account their polls to it).</summary>
public sealed class InputNode : GraphNode
{
    /// <summary>Creates an input node whose only next is ethernet-input.</summary>
    public InputNode(string name)
        : base(name, NodeKind.Input)
    {
        _nextEthernet = AddNext("ethernet-input");
        _errNoBuffer = AddError("no free buffers");
        _errRead = AddError("read errors");
        _errShort = AddError("frame too short");
    }

    private readonly NextSlot _nextEthernet;
    private readonly ErrorSlot _errNoBuffer;
    private readonly ErrorSlot _errRead;
    private readonly ErrorSlot _errShort;

    /// <summary>Global index of ethernet-input.</summary>
    public int EthernetInput => Next(_nextEthernet);

    /// <summary>Error index: no buffer.</summary>
    public int NoBufferError => Error(_errNoBuffer);

    /// <summary>Error index: read failed.</summary>
    public int ReadError => Error(_errRead);

    /// <summary>Error index: frame shorter than the virtio header + Ethernet header.</summary>
    public int ShortError => Error(_errShort);

    /// <inheritdoc />
    public override void Process(WorkerContext ctx, ReadOnlySpan<int> buffers)
        => throw new InvalidOperationException($"input node {Name} does not take frames");
}
