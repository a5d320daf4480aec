namespace Contiv.Vpp.Interfaces;

/// <summary>Software interface counters of one thread (summed over threads for display).</summary>
public struct InterfaceCounters
{
    /// <summary>Packets received.</summary>
    public long RxPackets;
    /// <summary>Bytes received (L2, without the virtio header).</summary>
    public long RxBytes;
    /// <summary>Packets transmitted.</summary>
    public long TxPackets;
    /// <summary>Bytes transmitted.</summary>
    public long TxBytes;
    /// <summary>Packets dropped that were received on this interface.</summary>
    public long Drops;
    /// <summary>Packets punted.</summary>
    public long Punts;
    /// <summary>IPv4 packets received.</summary>
    public long Ip4;
    /// <summary>Receive errors.</summary>
    public long RxErrors;
    /// <summary>Transmit errors.</summary>
    public long TxErrors;
    /// <summary>Packets the device had but no buffer was free for.</summary>
    public long RxNoBuf;
    /// <summary>Packets dropped because the device's transmit queue stayed full (EAGAIN) after the retries: back-pressure, not an error.</summary>
    public long TxQueueFull;

    /// <summary>Adds another thread's counters.</summary>
    public void Add(in InterfaceCounters o)
    {
        RxPackets += o.RxPackets;
        RxBytes += o.RxBytes;
        TxPackets += o.TxPackets;
        TxBytes += o.TxBytes;
        Drops += o.Drops;
        Punts += o.Punts;
        Ip4 += o.Ip4;
        RxErrors += o.RxErrors;
        TxErrors += o.TxErrors;
        RxNoBuf += o.RxNoBuf;
        TxQueueFull += o.TxQueueFull;
    }
}
