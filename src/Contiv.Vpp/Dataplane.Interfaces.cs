using Contiv.Linux;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp;

/// <summary>Error of a control operation; the message names the object and the bad value.</summary>
public class DataplaneException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DataplaneException(string message, DataplaneError kind = DataplaneError.Invalid)
        : base(message) => Kind = kind;

    /// <summary>Creates the exception.</summary>
    public DataplaneException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public DataplaneException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Category (maps to API status).</summary>
    public DataplaneError Kind { get; }
}

/// <summary>Category of a control error.</summary>
public enum DataplaneError
{
    /// <summary>Bad input.</summary>
    Invalid,
    /// <summary>Referenced object missing.</summary>
    NotFound,
    /// <summary>Conflicts with an existing object.</summary>
    AlreadyExists,
    /// <summary>Not implemented yet.</summary>
    NotSupported,
}

public sealed partial class Dataplane
{
    private readonly List<SwInterface?> _interfaces = [];

    /// <summary>Every interface (sorted by sw_if_index).</summary>
    public IReadOnlyList<SwInterface> Interfaces
    {
        get
        {
            lock (_control)
            {
                var l = new List<SwInterface>();
                foreach (var i in _interfaces)
                {
                    if (i is not null)
                    {
                        l.Add(i);
                    }
                }

                return l;
            }
        }
    }

    /// <summary>Interface by sw_if_index, or null.</summary>
    public SwInterface? Interface(int swIfIndex)
    {
        var a = InterfaceArray;
        return (uint)swIfIndex < (uint)a.Length ? a[swIfIndex] : null;
    }

    /// <summary>Finds an interface by client name, device name or sw_if_index digits.</summary>
    public SwInterface? FindInterface(string name)
    {
        foreach (var i in InterfaceArray)
        {
            if (i is not null && (string.Equals(i.Name, name, StringComparison.Ordinal) || string.Equals(i.DevName, name, StringComparison.Ordinal)))
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>Finds an interface or throws NotFound naming it.</summary>
    public SwInterface RequireInterface(string name)
        => FindInterface(name) ?? throw new DataplaneException($"unknown interface `{name}'", DataplaneError.NotFound);

    /// <summary>Creates a loopback interface <c>loop&lt;instance&gt;</c>.</summary>
    public SwInterface CreateLoopback(MacAddress? mac = null, int? instance = null, string? name = null)
    {
        return Created(Exclusive(() =>
        {
            var inst = instance ?? LowestFreeInstance(InterfaceKind.Loopback);
            if (InstanceTaken(InterfaceKind.Loopback, inst))
            {
                throw new DataplaneException($"loopback instance {inst} is in use", DataplaneError.AlreadyExists);
            }

            var intf = NewInterface($"loop{inst}", InterfaceKind.Loopback, name);
            intf.Instance = inst;
            intf.Mac = mac ?? new MacAddress(0xdead_0000_0000UL | (uint)inst);
            intf.Mtu = 9000;
            Attach(intf, new LoopbackDevice());
            return intf;
        }));
    }

    /// <summary>Creates a packet-generator interface <c>pg&lt;n&gt;</c> whose output is captured (tests, debugging).</summary>
    public SwInterface CreatePacketGenerator(MacAddress? mac = null, string? name = null)
    {
        return Created(Exclusive(() =>
        {
            var inst = LowestFreeInstance(InterfaceKind.PacketGenerator);
            var intf = NewInterface($"pg{inst}", InterfaceKind.PacketGenerator, name);
            intf.Instance = inst;
            intf.Mac = mac ?? MacAddress.Random02Fe();
            Attach(intf, new PacketGeneratorDevice());
            return intf;
        }));
    }

    /// <summary>Creates a TAP interface <c>tap&lt;id&gt;</c>, opening the Linux side in the host namespace and configuring it.</summary>
    public SwInterface CreateTap(TapSettings settings, MacAddress? mac = null, string? name = null, int mtu = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (_control)
        {
            var id = settings.Id >= 0 ? settings.Id : LowestFreeInstance(InterfaceKind.Tap);
            if (InstanceTaken(InterfaceKind.Tap, id))
            {
                throw new DataplaneException($"tap{id}: interface already exists", DataplaneError.AlreadyExists);
            }

            if (name is not null && FindInterface(name) is not null)
            {
                throw new DataplaneException($"interface name `{name}' already exists", DataplaneError.AlreadyExists);
            }

            settings = settings with { Id = id };
            var l3mtu = mtu > 0 ? mtu : 1500;
            // Opening and configuring the Linux side happens outside the barrier: it is slow (netlink) and touches nothing the workers read.
            var dev = TapInterfaceDevice.Open(this, settings, l3mtu);
            try
            {
                return Created(Exclusive(() =>
                {
                    var intf = NewInterface($"tap{id}", InterfaceKind.Tap, name);
                    intf.Instance = id;
                    intf.Mac = mac ?? MacAddress.Random02Fe();
                    intf.Mtu = l3mtu;
                    intf.Tap = settings;
                    Attach(intf, dev);
                    return intf;
                }));
            }
            catch
            {
                dev.Dispose();
                throw;
            }
        }
    }

    /// <summary>Creates an AF_PACKET interface <c>host-&lt;linux-if&gt;</c> on an existing link of the host namespace.</summary>
    public SwInterface CreateAfPacket(string hostIfName, MacAddress? mac = null, string? name = null, int mtu = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostIfName);
        lock (_control)
        {
            var devName = "host-" + hostIfName;
            if (FindInterface(devName) is not null)
            {
                throw new DataplaneException($"{devName}: Interface already exists", DataplaneError.AlreadyExists);
            }

            var dev = AfPacketDevice.Open(this, hostIfName, out var linkMac, out var linkMtu);
            try
            {
                return Created(Exclusive(() =>
                {
                    var intf = NewInterface(devName, InterfaceKind.AfPacket, name);
                    intf.Mac = mac ?? linkMac;
                    intf.Mtu = mtu > 0 ? mtu : linkMtu;
                    intf.HostIfName = hostIfName;
                    Attach(intf, dev);
                    return intf;
                }));
            }
            catch
            {
                dev.Dispose();
                throw;
            }
        }
    }

    /// <summary>Deletes an interface: its addresses, routes through it, neighbours; closes the device.</summary>
    public void DeleteInterface(SwInterface intf)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (intf.SwIfIndex == 0)
        {
            throw new DataplaneException("local0 cannot be deleted");
        }

        Device? dev = null;
        Exclusive(() =>
        {
            if (Interface(intf.SwIfIndex) != intf)
            {
                throw new DataplaneException($"unknown interface `{intf.Name}'", DataplaneError.NotFound);
            }

            foreach (var other in _interfaces)
            {
                if (other is not null && other.UnnumberedTo == intf.SwIfIndex)
                {
                    other.UnnumberedTo = -1;
                }
            }

            foreach (var a in intf.Addresses.ToArray())
            {
                RemoveAddressEntries(intf, a);
            }

            intf.Addresses.Clear();
            RemoveL2State(intf);
            RemoveRoutesVia(intf.SwIfIndex);
            ForgetNatRole(intf.SwIfIndex);
            ForgetAclInterface(intf.SwIfIndex);
            ForgetStnRules(intf.SwIfIndex);
            var released = new List<int>();
            lock (Neighbors.Lock)
            {
                Neighbors.RemoveInterface(intf.SwIfIndex, released);
            }

            foreach (var b in released)
            {
                Buffers.FreeShared(b);
            }

            dev = intf.Device;
            if (dev is not null)
            {
                var workers = intf.RxQueueWorkers;
                for (var q = 0; q < workers.Length; q++)
                {
                    workers[q].RemoveDevice(dev.QueueFd(q));
                }

                intf.RxQueueWorkers = [];
            }

            intf.AdminUp = false;
            _interfaces[intf.SwIfIndex] = null;
            var arr = (SwInterface?[])InterfaceArray.Clone();
            arr[intf.SwIfIndex] = null;
            InterfaceArray = arr;
        });
        dev?.Dispose();
        RaiseInterfaceChanged(intf, InterfaceChange.Deleted);
    }

    /// <summary>Sets the admin state.</summary>
    public void SetAdminState(SwInterface intf, bool up)
    {
        ArgumentNullException.ThrowIfNull(intf);
        var changed = Exclusive(() =>
        {
            var was = intf.AdminUp;
            intf.AdminUp = up;
            return was != up;
        });
        if (changed)
        {
            RaiseInterfaceChanged(intf, InterfaceChange.Changed);
        }
    }

    /// <summary>Sets the L3 MTU.</summary>
    public void SetMtu(SwInterface intf, int mtu)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (mtu < 68 || mtu > 65535)
        {
            throw new DataplaneException($"invalid MTU {mtu} for {intf.DevName} (68..65535)");
        }

        Exclusive(() => intf.Mtu = mtu);
    }

    /// <summary>Sets the MAC address (rewrites of its adjacencies follow).</summary>
    public void SetMac(SwInterface intf, MacAddress mac)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (mac.IsMulticast)
        {
            throw new DataplaneException($"MAC {mac} for {intf.DevName} is a multicast address");
        }

        Exclusive(() =>
        {
            intf.Mac = mac;
            lock (Neighbors.Lock)
            {
                Neighbors.RefreshInterface(intf.SwIfIndex);
            }
        });
    }

    /// <summary>Sets the client-visible name (tag).</summary>
    public void SetName(SwInterface intf, string name)
    {
        ArgumentNullException.ThrowIfNull(intf);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Exclusive(() =>
        {
            var other = FindInterface(name);
            if (other is not null && other != intf)
            {
                throw new DataplaneException($"interface name `{name}' is already used by {other.DevName}", DataplaneError.AlreadyExists);
            }

            intf.Name = name;
        });
    }

    /// <summary>Makes <paramref name="intf"/> borrow <paramref name="donor"/>'s addresses (null = numbered again).</summary>
    public void SetUnnumbered(SwInterface intf, SwInterface? donor)
    {
        ArgumentNullException.ThrowIfNull(intf);
        Exclusive(() =>
        {
            if (donor is not null)
            {
                if (donor == intf)
                {
                    throw new DataplaneException($"{intf.DevName} cannot be unnumbered to itself");
                }

                if (donor.FibIndex != intf.FibIndex)
                {
                    throw new DataplaneException($"When enabling unnumbered both interfaces must be in the same tables ({intf.DevName} table {FibArray[intf.FibIndex]!.TableId}, {donor.DevName} table {FibArray[donor.FibIndex]!.TableId})");
                }

                if (intf.Addresses.Count > 0)
                {
                    throw new DataplaneException($"{intf.DevName} has IP addresses; remove them before making it unnumbered");
                }
            }

            intf.UnnumberedTo = donor?.SwIfIndex ?? -1;
        });
    }

    /// <summary>Enables answering proxy ARP on an interface.</summary>
    public void SetProxyArp(SwInterface intf, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(intf);
        Exclusive(() => intf.ProxyArp = enabled);
    }

    /// <summary>Packets captured on a packet-generator interface (tests).</summary>
    public static IReadOnlyList<byte[]> Captured(SwInterface pg)
        => (pg?.Device as PacketGeneratorDevice)?.Captured ?? throw new DataplaneException($"{pg?.DevName} is not a packet-generator interface");

    /// <summary>
    /// Injects one Ethernet frame as if received on <paramref name="intf"/> and runs the graph to
    /// completion on the calling thread (at the barrier). Used by tests and the <c>packet-generator</c> CLI.
    /// </summary>
    public void Inject(SwInterface intf, ReadOnlySpan<byte> frame, Contiv.Vpp.Buffers.GsoType gso = Contiv.Vpp.Buffers.GsoType.None, int gsoSize = 0, bool checksumPartial = false, int csumStart = 0, int csumOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(intf);
        if (frame.Length > Contiv.Vpp.Buffers.BufferPool.DataSize)
        {
            throw new DataplaneException($"frame of {frame.Length} bytes exceeds the buffer data size {Contiv.Vpp.Buffers.BufferPool.DataSize}");
        }

        var copy = frame.ToArray();
        Exclusive(() =>
        {
            var ctx = Main;
            var b = ctx.Buffers.Alloc();
            if (b < 0)
            {
                throw new DataplaneException("no free buffers");
            }

            ref var m = ref Buffers.Meta(b);
            copy.CopyTo(GetWritable(b, copy.Length));
            m.CurrentLength = copy.Length;
            m.RxSwIfIndex = intf.SwIfIndex;
            m.Gso = gso;
            m.GsoSize = (ushort)gsoSize;
            if (checksumPartial)
            {
                m.Flags |= Contiv.Vpp.Buffers.BufferFlags.ChecksumPartial;
                m.CsumStart = (ushort)csumStart;
                m.CsumOffset = (ushort)csumOffset;
            }

            ref var c = ref ctx.IfCounters[intf.SwIfIndex];
            c.RxPackets++;
            c.RxBytes += copy.Length;
            var input = Graph.IndexOf(PgInputNodeName);
            if (ctx.TryStartTrace(input, b))
            {
                ctx.TraceRecord(b, PgInputNodeName, $"pg: stream on {intf.DevName}, {copy.Length} bytes");
            }

            ctx.AccountInput(input, 1, 0);
            ctx.Enqueue(Graph.IndexOf(EthernetInputNode.NodeName), b);
            ctx.Dispatch();
        });
    }

    private SwInterface Created(SwInterface intf)
    {
        RaiseInterfaceChanged(intf, InterfaceChange.Created);
        return intf;
    }

    private unsafe Span<byte> GetWritable(int b, int length)
        => new(Buffers.Data(b), length);

    private SwInterface NewInterface(string devName, InterfaceKind kind, string? name)
    {
        if (name is not null && FindInterface(name) is not null)
        {
            throw new DataplaneException($"interface name `{name}' already exists", DataplaneError.AlreadyExists);
        }

        var sw = _interfaces.IndexOf(null);
        if (sw < 0)
        {
            sw = _interfaces.Count;
            _interfaces.Add(null);
        }

        var intf = new SwInterface(sw, devName, kind) { HwIfIndex = sw };
        if (!string.IsNullOrEmpty(name))
        {
            intf.Name = name;
        }

        return intf;
    }

    /// <summary>
    /// Installs an interface's device and gives its receive queues to workers: a single-queue device
    /// to the next worker round robin (in creation order), a device with one queue per worker (a
    /// multi-queue TAP, an AF_PACKET fanout group) queue q to worker q. Either way a worker polls at
    /// most one queue of a device, so the device finds its queue from the polling or transmitting
    /// context (<see cref="Device.QueueOf"/>); the control thread uses queue 0.
    /// </summary>
    private void Attach(SwInterface intf, Device dev)
    {
        AssignQueues(intf, dev);
        var sw = intf.SwIfIndex;
        intf.Device = dev;
        dev.Interface = intf;
        foreach (var ctx in Contexts)
        {
            ctx.EnsureInterfaceCapacity(sw + 1);
            ctx.IfCounters[sw] = default;
        }

        _interfaces[sw] = intf;
        var arr = InterfaceArray;
        if (arr.Length <= sw)
        {
            var bigger = new SwInterface?[Math.Max(sw + 1, arr.Length * 2)];
            arr.AsSpan().CopyTo(bigger);
            arr = bigger;
        }
        else
        {
            arr = (SwInterface?[])arr.Clone();
        }

        arr[sw] = intf;
        InterfaceArray = arr;
    }

    private void AssignQueues(SwInterface intf, Device dev)
    {
        var queues = dev.RxQueueCount;
        if (queues == 0)
        {
            return;
        }

        if (queues > 1 && queues != _workers.Count)
        {
            throw new DataplaneException($"{intf.DevName}: {queues} receive queues for {_workers.Count} workers");
        }

        var assigned = new Graph.Worker[queues];
        var map = new int[_workers.Count + 1];
        if (queues == 1)
        {
            assigned[0] = _workers[_nextWorker++ % _workers.Count];
        }
        else
        {
            for (var q = 0; q < queues; q++)
            {
                assigned[q] = _workers[q];
                map[_workers[q].Context.Index] = q;
            }
        }

        for (var q = 0; q < queues; q++)
        {
            try
            {
                assigned[q].AddDevice(intf, dev.QueueFd(q));
            }
            catch
            {
                for (var done = 0; done < q; done++)
                {
                    assigned[done].RemoveDevice(dev.QueueFd(done));
                }

                throw;
            }
        }

        dev.SetQueueMap(map);
        intf.RxQueueWorkers = assigned;
    }

    private int LowestFreeInstance(InterfaceKind kind)
    {
        for (var i = 0; ; i++)
        {
            if (!InstanceTaken(kind, i))
            {
                return i;
            }
        }
    }

    private bool InstanceTaken(InterfaceKind kind, int instance)
    {
        foreach (var i in _interfaces)
        {
            if (i is not null && i.Kind == kind && i.Instance == instance)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The addresses an interface answers ARP for and sources packets from: its own, or its
    /// unnumbered donor's. Never allocates.
    /// </summary>
    public List<Ip4Prefix> EffectiveAddresses(int swIfIndex)
    {
        var ifs = InterfaceArray;
        var intf = ifs[swIfIndex]!;
        if (intf.UnnumberedTo >= 0 && (uint)intf.UnnumberedTo < (uint)ifs.Length && ifs[intf.UnnumberedTo] is { } donor)
        {
            return donor.Addresses;
        }

        return intf.Addresses;
    }

    /// <summary>True when <paramref name="ip"/> is one of the interface's (effective) addresses.</summary>
    public bool IsLocalAddress(int swIfIndex, uint ip)
    {
        var addrs = EffectiveAddresses(swIfIndex);
        for (var i = 0; i < addrs.Count; i++)
        {
            if (addrs[i].Address == ip)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="ip"/> lies in one of the interface's (effective) subnets.</summary>
    public bool IsOnLink(int swIfIndex, uint ip)
    {
        var addrs = EffectiveAddresses(swIfIndex);
        for (var i = 0; i < addrs.Count; i++)
        {
            if (addrs[i].Contains(ip))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Source address to use towards <paramref name="target"/> on an interface: one in the same subnet, else the first; 0 if none.</summary>
    public uint SourceAddressFor(int swIfIndex, uint target)
    {
        var addrs = EffectiveAddresses(swIfIndex);
        if (addrs.Count == 0)
        {
            return 0;
        }

        for (var i = 0; i < addrs.Count; i++)
        {
            if (addrs[i].Contains(target))
            {
                return addrs[i].Address;
            }
        }

        return addrs[0].Address;
    }
}

public sealed partial class Dataplane
{
    /// <summary>Zeroes every interface counter on every thread.</summary>
    public void ClearInterfaceCounters()
        => Exclusive(() =>
        {
            foreach (var ctx in Contexts)
            {
                Array.Clear(ctx.IfCounters);
            }
        });
}
