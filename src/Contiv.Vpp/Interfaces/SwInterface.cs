using Contiv.Linux;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Interfaces;

/// <summary>Kind of interface.</summary>
public enum InterfaceKind
{
    /// <summary>local0, the reserved interface 0.</summary>
    Local,
    /// <summary>Linux TAP opened by the data plane.</summary>
    Tap,
    /// <summary>AF_PACKET on an existing Linux link.</summary>
    AfPacket,
    /// <summary>Software loopback (BVI, unnumbered donor).</summary>
    Loopback,
    /// <summary>VXLAN tunnel.</summary>
    Vxlan,
    /// <summary>Packet generator (tests: inject and capture frames).</summary>
    PacketGenerator,
}

/// <summary>
/// A software interface (VPP's sw_interface). Fields are written by the control thread at the
/// barrier and read lock-free by workers.
/// </summary>
public sealed class SwInterface
{
    internal SwInterface(int swIfIndex, string devName, InterfaceKind kind)
    {
        SwIfIndex = swIfIndex;
        DevName = devName;
        Name = devName;
        Kind = kind;
        OutputNodeName = devName + "-output";
        TxNodeName = devName + "-tx";
    }

    /// <summary>sw_if_index.</summary>
    public int SwIfIndex { get; }

    /// <summary>VPP device name (<c>tap0</c>, <c>host-veth1</c>, <c>loop0</c>).</summary>
    public string DevName { get; }

    /// <summary>Client-chosen name (tag); equals <see cref="DevName"/> when none was given.</summary>
    public string Name { get; internal set; }

    /// <summary>Kind.</summary>
    public InterfaceKind Kind { get; }

    /// <summary>Trace name of the output node (<c>tap0-output</c>).</summary>
    public string OutputNodeName { get; }

    /// <summary>Trace name of the tx node (<c>tap0-tx</c>).</summary>
    public string TxNodeName { get; }

    /// <summary>Hardware (device) index.</summary>
    public int HwIfIndex { get; internal set; }

    /// <summary>Device instance number (tap id, loop instance).</summary>
    public int Instance { get; internal set; }

    /// <summary>MAC address.</summary>
    public MacAddress Mac { get; internal set; }

    /// <summary>L3 MTU (bytes of IP packet).</summary>
    public int Mtu { get; internal set; } = 1500;

    /// <summary>Admin state.</summary>
    public bool AdminUp { get; internal set; }

    /// <summary>Operational state (admin up and link up).</summary>
    public bool OperUp => AdminUp && (Device?.LinkUp ?? true);

    /// <summary>FIB index of the interface's IPv4 table.</summary>
    public int FibIndex { get; internal set; }

    /// <summary>IPv4 addresses (with prefix length).</summary>
    public List<Ip4Prefix> Addresses { get; } = [];

    /// <summary>Donor interface whose addresses this one borrows, or -1.</summary>
    public int UnnumberedTo { get; internal set; } = -1;

    /// <summary>Answer ARP for the data plane's proxy-ARP ranges on this interface.</summary>
    public bool ProxyArp { get; internal set; }

    /// <summary>Bridge domain index when in L2 mode, else -1 (issue 5).</summary>
    public int BridgeDomain { get; internal set; } = -1;

    /// <summary>True when this is the BVI of its bridge domain.</summary>
    public bool IsBvi { get; internal set; }

    /// <summary>Split-horizon group in the bridge domain.</summary>
    public int SplitHorizonGroup { get; internal set; }

    /// <summary>The worker polling receive queue 0 of this interface's device, if any.</summary>
    internal Graph.Worker? Worker => RxQueueWorkers.Length > 0 ? RxQueueWorkers[0] : null;

    /// <summary>The worker polling each receive queue of the device (index = queue), empty without one.</summary>
    internal Graph.Worker[] RxQueueWorkers { get; set; } = [];

    /// <summary>The device, or null for local0.</summary>
    public Device? Device { get; internal set; }

    /// <summary>
    /// Per feature arc (<see cref="Graph.FeatureArcs"/>): the node indices a packet visits on this
    /// interface, enabled features in arc order followed by the arc's end node; empty when no feature
    /// is enabled. Rebuilt by the control thread at the barrier.
    /// </summary>
    internal int[][] FeatureChains { get; } = NewChains();

    /// <summary>Per feature arc: node indices of the features enabled on this interface (control thread only).</summary>
    internal HashSet<int>[] EnabledFeatures { get; } = NewEnabledSets();

    /// <summary>TAP host-side settings (for dumps).</summary>
    public TapSettings? Tap { get; internal set; }

    /// <summary>AF_PACKET host link name.</summary>
    public string? HostIfName { get; internal set; }

    private static int[][] NewChains()
    {
        var chains = new int[Graph.FeatureArcs.Count][];
        for (var i = 0; i < chains.Length; i++)
        {
            chains[i] = [];
        }

        return chains;
    }

    private static HashSet<int>[] NewEnabledSets()
    {
        var sets = new HashSet<int>[Graph.FeatureArcs.Count];
        for (var i = 0; i < sets.Length; i++)
        {
            sets[i] = [];
        }

        return sets;
    }
}

/// <summary>Host-side settings of a TAP (what was asked for; kept for dumps and show commands).</summary>
public sealed record TapSettings
{
    /// <summary>TAP id (tap&lt;id&gt;).</summary>
    public int Id { get; init; }

    /// <summary>Linux name.</summary>
    public string HostIfName { get; init; } = string.Empty;

    /// <summary>Linux namespace (name or path), empty = the data plane's host namespace.</summary>
    public string HostNamespace { get; init; } = string.Empty;

    /// <summary>Linux-side MAC, or null.</summary>
    public MacAddress? HostMac { get; init; }

    /// <summary>Linux-side address.</summary>
    public Ip4Prefix? HostIp4 { get; init; }

    /// <summary>Linux-side default gateway.</summary>
    public uint? HostIp4Gateway { get; init; }

    /// <summary>Linux-side MTU (0 = interface MTU).</summary>
    public int HostMtu { get; init; }

    /// <summary>Virtio offloads (GSO + checksum).</summary>
    public bool Gso { get; init; } = true;

    /// <summary>Bring the Linux side up.</summary>
    public bool HostUp { get; init; } = true;

    /// <summary>Advisory ring sizes.</summary>
    public int RxRingSize { get; init; } = 256;

    /// <summary>Advisory ring sizes.</summary>
    public int TxRingSize { get; init; } = 256;
}
