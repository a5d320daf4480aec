using Contiv.Vpp.Graph;

namespace Contiv.Vpp.Interfaces;

/// <summary>
/// The hardware side of an interface: receives into buffers (input) and transmits buffers (output).
/// A device with a receive fd is polled by exactly one worker (epoll); <see cref="Transmit"/> may be
/// called from any worker (one write per packet is atomic in the kernel).
/// </summary>
public abstract class Device : IDisposable
{
    /// <summary>The interface this device backs (set when attached).</summary>
    public SwInterface Interface { get; internal set; } = null!;

    /// <summary>File descriptor the worker waits on for received packets, or -1.</summary>
    public virtual int RxFd => -1;

    /// <summary>Name of the input node packets of this device are accounted to (<c>tap-input</c>).</summary>
    public abstract string InputNodeName { get; }

    /// <summary>Hardware description line of <c>show hardware-interfaces</c>.</summary>
    public abstract string HardwareDescription { get; }

    /// <summary>True when the device takes GSO super-frames and partial checksums (virtio headers).</summary>
    public virtual bool SupportsOffload => true;

    /// <summary>Operational link state.</summary>
    public virtual bool LinkUp => true;

    /// <summary>Reads up to <paramref name="budget"/> packets and enqueues them to ethernet-input; returns how many.</summary>
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
