using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Interfaces;

/// <summary>
/// The hardware side of an interface: receives into buffers (input) and transmits buffers (output).
/// A device has zero or more receive queues (<see cref="RxQueueCount"/>: a TAP one per queue fd, an
/// AF_PACKET interface one socket per fanout member); each queue is polled by exactly one worker
/// (epoll), and a worker polls at most one queue of a device, so <see cref="Poll"/> and
/// <see cref="Transmit"/> find the caller's queue from its context (<see cref="QueueOf"/>).
/// <see cref="Transmit"/> may be called from any worker; a multi-queue device writes on the calling
/// worker's own queue (no lock; one write per packet is atomic in the kernel).
/// </summary>
public abstract class Device : IDisposable
{
    // Queue of each thread context (index 0 = the control thread, workers from 1); set at attach, read on the data path.
    private int[] _queueOfContext = [0];

    /// <summary>The interface this device backs (set when attached).</summary>
    public SwInterface Interface { get; internal set; } = null!;

    /// <summary>File descriptor of receive queue 0, or -1 when the device receives nothing.</summary>
    public virtual int RxFd => -1;

    /// <summary>Number of receive queues (each a file descriptor a worker waits on).</summary>
    public virtual int RxQueueCount => RxFd >= 0 ? 1 : 0;

    /// <summary>The file descriptor of receive queue <paramref name="queue"/>.</summary>
    public virtual int QueueFd(int queue) => queue == 0 ? RxFd : throw new ArgumentOutOfRangeException(nameof(queue));

    /// <summary>Name of the input node packets of this device are accounted to (<c>tap-input</c>).</summary>
    public abstract string InputNodeName { get; }

    /// <summary>Hardware description line of <c>show hardware-interfaces</c>.</summary>
    public abstract string HardwareDescription { get; }

    /// <summary>True when the device takes GSO super-frames and partial checksums (virtio headers).</summary>
    public virtual bool SupportsOffload => true;

    /// <summary>Operational link state.</summary>
    public virtual bool LinkUp => true;

    /// <summary>The queue thread context <paramref name="ctx"/> polls and transmits on (0 for the control thread).</summary>
    public int QueueOf(WorkerContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var map = _queueOfContext;
        return (uint)ctx.Index < (uint)map.Length ? map[ctx.Index] : 0;
    }

    /// <summary>
    /// Records which queue each thread context uses (at attach, before any worker polls the device):
    /// <paramref name="queueOfContext"/>[i] is the queue of context i.
    /// </summary>
    internal void SetQueueMap(int[] queueOfContext) => _queueOfContext = queueOfContext;

    /// <summary>Reads up to <paramref name="budget"/> packets from the caller's queue and enqueues them to ethernet-input; returns how many.</summary>
    public virtual int Poll(WorkerContext ctx, int budget) => 0;

    /// <summary>Sends a packet (current data = L2 frame) and frees the buffer. Always consumes the buffer.</summary>
    public abstract void Transmit(WorkerContext ctx, int buffer);

    /// <summary>Closes the device.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
