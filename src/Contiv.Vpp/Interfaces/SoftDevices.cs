using System.Collections.Concurrent;
using Contiv.Vpp.Buffers;
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
    public void ClearCaptured()
    {
        _captured.Clear();
        _capturedOffload.Clear();
    }

    /// <summary>
    /// Whether the generator takes GSO/partial-checksum frames as they are (like a TAP with offloads);
    /// by default it is a plain wire and such frames are segmented and checksummed in software.
    /// </summary>
    public bool Offload { get; set; }

    /// <summary>Frees transmitted frames without capturing them (only counted in <see cref="Discarded"/>), for allocation tests.</summary>
    public bool Discard { get; set; }

    /// <summary>Frames freed because of <see cref="Discard"/>.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    private long _discarded;

    /// <summary>Offload state of each captured frame (same order as <see cref="Captured"/>).</summary>
    public IReadOnlyList<(GsoType Gso, int GsoSize, bool ChecksumPartial)> CapturedOffload => [.. _capturedOffload];

    private readonly ConcurrentQueue<(GsoType, int, bool)> _capturedOffload = new();

    /// <inheritdoc />
    public override bool SupportsOffload => Offload;

    /// <inheritdoc />
    public override string InputNodeName => Dataplane.PgInputNodeName;

    /// <inheritdoc />
    public override string HardwareDescription => "Packet generator";

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ref var m = ref ctx.Dataplane.Buffers.Meta(buffer);
        if (!Offload && SoftwareOffload.Needed(ref m))
        {
            SoftwareOffload.Resolve(ctx, buffer, this);
            return;
        }

        if (Discard)
        {
            Interlocked.Increment(ref _discarded);
            ctx.Buffers.Free(buffer);
            return;
        }

        _capturedOffload.Enqueue((m.Gso, m.GsoSize, (m.Flags & BufferFlags.ChecksumPartial) != 0));
        _captured.Enqueue(ctx.Dataplane.Buffers.Span(buffer).ToArray());
        ctx.Buffers.Free(buffer);
    }
}
