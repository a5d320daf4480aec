using System.Collections.Concurrent;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Interfaces;

/// <summary>Loopback device: a BVI hands transmitted frames to its bridge domain (l2-input); otherwise they are consumed.</summary>
public sealed class LoopbackDevice : Device
{
    private int _l2Input = -1;

    /// <inheritdoc />
    public override string InputNodeName => "loop-input";

    /// <inheritdoc />
    public override string HardwareDescription => "Ethernet loopback";

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (Interface.IsBvi && Interface.BridgeDomain >= 0)
        {
            if (_l2Input < 0)
            {
                _l2Input = ctx.Dataplane.Graph.IndexOf(L2.L2InputNode.NodeName);
            }

            ref var m = ref ctx.Dataplane.Buffers.Meta(buffer);
            m.RxSwIfIndex = Interface.SwIfIndex;
            ctx.Enqueue(_l2Input, buffer);
            return;
        }

        ctx.Buffers.Free(buffer);
    }
}

/// <summary>Packet-generator device (tests): transmitted frames are captured as byte arrays.</summary>
public sealed class PacketGeneratorDevice : Device
{
    private readonly ConcurrentQueue<byte[]> _captured = new();

    /// <summary>Frames transmitted on this interface, oldest first.</summary>
    public IReadOnlyList<byte[]> Captured => [.. _captured];

    /// <summary>Forgets captured frames.</summary>
    public void ClearCaptured() => _captured.Clear();

    /// <inheritdoc />
    public override string InputNodeName => Dataplane.PgInputNodeName;

    /// <inheritdoc />
    public override string HardwareDescription => "Packet generator";

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        _captured.Enqueue(ctx.Dataplane.Buffers.Span(buffer).ToArray());
        ctx.Buffers.Free(buffer);
    }
}
