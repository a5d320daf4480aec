using System.Collections.Concurrent;
using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Interfaces;

/// <summary>Loopback device: transmitted packets are consumed (a BVI's traffic is handled by L2).</summary>
public sealed class LoopbackDevice : Device
{
    /// <inheritdoc />
    public override string InputNodeName => "loop-input";

    /// <inheritdoc />
    public override string HardwareDescription => "Ethernet loopback";

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
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
