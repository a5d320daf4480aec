namespace Contiv.Linux;

/// <summary>How to open a TAP (or TUN) device; see <see cref="TapDevice.Open"/>.</summary>
public sealed record TapOptions
{
    /// <summary>Interface name (at most 15 characters); null lets the kernel pick <c>tap%d</c>/<c>tun%d</c>.</summary>
    public string? Name { get; init; }

    /// <summary>Layer-3 TUN instead of an Ethernet TAP (IFF_TUN instead of IFF_TAP).</summary>
    public bool Tun { get; init; }

    /// <summary>Prefix every frame with a <c>struct virtio_net_hdr</c> (IFF_VNET_HDR), needed for offloads/GSO.</summary>
    public bool VnetHeader { get; init; }

    /// <summary>Size of the vnet header in bytes (TUNSETVNETHDRSZ: 10, or 12 with num_buffers); null keeps the kernel's 10.</summary>
    public int? VnetHeaderSize { get; init; }

    /// <summary>Number of queues; more than one opens the device with IFF_MULTI_QUEUE and one descriptor per queue.</summary>
    public int Queues { get; init; } = 1;

    /// <summary>Offloads to enable with TUNSETOFFLOAD (requires <see cref="VnetHeader"/> for anything but None).</summary>
    public TunOffloads Offloads { get; init; }

    /// <summary>
    /// IFF_NAPI: frames written to the device are queued and received by a NAPI poll (GRO) in softirq
    /// instead of directly in the writer's system call.
    /// </summary>
    public bool Napi { get; init; }

    /// <summary>Open the descriptors non-blocking (O_NONBLOCK), for poll/epoll driven I/O.</summary>
    public bool NonBlocking { get; init; }

    /// <summary>
    /// Create a new device or fail (IFF_TUN_EXCL): when a device of that <see cref="Name"/> already
    /// exists, opening fails with EBUSY instead of attaching to it (without it, an existing persistent
    /// TAP of the same kind and queue mode would be joined rather than created).
    /// </summary>
    public bool Exclusive { get; init; }
}

/// <summary>TUNSETOFFLOAD flags (TUN_F_*): what the user side accepts in frames it reads.</summary>
[Flags]
public enum TunOffloads : uint
{
    /// <summary>No offloads: the kernel hands over complete, checksummed frames.</summary>
    None = 0,

    /// <summary>Partial checksums (TUN_F_CSUM).</summary>
    Checksum = 0x01,

    /// <summary>TCPv4 segmentation offload (TUN_F_TSO4).</summary>
    Tso4 = 0x02,

    /// <summary>TCPv6 segmentation offload (TUN_F_TSO6).</summary>
    Tso6 = 0x04,

    /// <summary>TSO with ECN bits (TUN_F_TSO_ECN).</summary>
    TsoEcn = 0x08,

    /// <summary>UDP fragmentation offload (TUN_F_UFO).</summary>
    Ufo = 0x10,

    /// <summary>UDPv4 segmentation offload (TUN_F_USO4).</summary>
    Uso4 = 0x20,

    /// <summary>UDPv6 segmentation offload (TUN_F_USO6).</summary>
    Uso6 = 0x40,
}
