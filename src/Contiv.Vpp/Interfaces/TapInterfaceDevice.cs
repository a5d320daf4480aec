using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using Contiv.Linux;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Graph;
using Contiv.Vpp.Native;

namespace Contiv.Vpp.Interfaces;

/// <summary>
/// A TAP interface (VPP's tap v2): the data plane owns the <c>/dev/net/tun</c> fd, with virtio-net
/// headers and (by default) TSO/checksum offload so the kernel hands over and accepts 64 KB TCP
/// super-frames. One read() per received frame straight into a packet buffer, one write() per sent
/// frame straight from it: no copies in user space, no allocation.
/// </summary>
public sealed unsafe class TapInterfaceDevice : Device
{
    private readonly TapDevice _tap;
    private readonly Dataplane _dp;
    private readonly bool _offload;
    private readonly int _fd;
    private readonly int _inputNode;
    private readonly int _ethernetInput;
    private readonly InputNode _input;
    private int _spare = -1;

    private TapInterfaceDevice(Dataplane dp, TapDevice tap, bool offload)
    {
        _dp = dp;
        _tap = tap;
        _offload = offload;
        _fd = tap.Fd;
        _input = (InputNode)dp.Graph.Find(Dataplane.TapInputNodeName)!;
        _inputNode = _input.Index;
        _ethernetInput = _input.EthernetInput;
    }

    /// <summary>The TAP fd.</summary>
    public int Fd => _fd;

    /// <inheritdoc />
    public override int RxFd => _fd;

    /// <inheritdoc />
    public override string InputNodeName => Dataplane.TapInputNodeName;

    /// <inheritdoc />
    public override string HardwareDescription => _offload ? "VIRTIO interface (tap, gso + csum offload)" : "VIRTIO interface (tap, no offload)";

    /// <inheritdoc />
    public override bool SupportsOffload => _offload;

    /// <summary>
    /// Opens the TAP in the data plane's host namespace, moves it into the requested namespace under
    /// its final name and configures the Linux side (MAC, MTU, address, gateway, up).
    /// </summary>
    internal static TapInterfaceDevice Open(Dataplane dp, TapSettings s, int mtu)
    {
        if (string.IsNullOrEmpty(s.HostIfName) || s.HostIfName.Length > 15)
        {
            throw new DataplaneException($"tap{s.Id}: invalid host-if-name '{s.HostIfName}' (1 to 15 characters)");
        }

        using var hostNs = dp.Options.HostNamespace is { Length: > 0 } h ? OpenNamespace(h) : null;
        using var targetNs = s.HostNamespace is { Length: > 0 } t ? OpenNamespace(t) : null;
        var moving = targetNs is not null && (hostNs is null ? targetNs.Id != CurrentNamespaceId() : targetNs.Id != hostNs.Id);
        var createName = moving ? $"cvtmp{Random.Shared.Next(0x100000, 0xffffff):x6}" : s.HostIfName;
        var options = new TapOptions
        {
            Name = createName,
            VnetHeader = true,
            VnetHeaderSize = VirtioNetHeader.Size,
            Offloads = s.Gso ? TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn : TunOffloads.None,
            NonBlocking = true,
        };
        TapDevice tap;
        try
        {
            tap = TapDevice.Open(options, hostNs);
        }
        catch (Exception e) when (e is NetlinkException or IOException or UnauthorizedAccessException)
        {
            throw new DataplaneException($"tap{s.Id}: cannot create TAP {createName}: {e.Message}", DataplaneError.AlreadyExists);
        }

        try
        {
            if (moving)
            {
                using var nl = hostNs is null ? RtNetlink.Open() : RtNetlink.Open(hostNs);
                nl.MoveLink(tap.InterfaceIndex, targetNs!, s.HostIfName);
            }

            var cfgNs = targetNs ?? hostNs;
            using (var nl = cfgNs is null ? RtNetlink.Open() : RtNetlink.Open(cfgNs))
            {
                var index = nl.GetLinkIndex(s.HostIfName);
                if (s.HostMac is { } mac)
                {
                    nl.SetMacAddress(index, new PhysicalAddress(mac.ToBytes()));
                }

                nl.SetMtu(index, s.HostMtu > 0 ? s.HostMtu : mtu);
                if (s.HostUp || s.HostIp4 is not null)
                {
                    nl.SetLinkUp(index);
                }

                if (s.HostIp4 is { } a)
                {
                    nl.AddAddress(index, IPAddress.Parse(Ip4.Ip4Address.Format(a.Address)), a.Length);
                }

                if (s.HostIp4Gateway is { } gw)
                {
                    nl.ReplaceRoute(new Route
                    {
                        Destination = new IPNetwork(IPAddress.Any, 0),
                        Gateway = IPAddress.Parse(Ip4.Ip4Address.Format(gw)),
                        OutputInterface = index,
                    });
                }
            }

            return new TapInterfaceDevice(dp, tap, s.Gso);
        }
        catch (Exception e) when (e is NetlinkException or IOException or ArgumentException)
        {
            tap.Dispose();
            throw new DataplaneException($"tap{s.Id}: configuring host side {s.HostIfName}{(s.HostNamespace is { Length: > 0 } ns ? " in " + ns : string.Empty)} failed: {e.Message}");
        }
    }

    private static NetworkNamespace OpenNamespace(string nameOrPath)
    {
        try
        {
            return NetworkNamespace.Open(nameOrPath);
        }
        catch (Exception e) when (e is NetlinkException or IOException or ArgumentException)
        {
            throw new DataplaneException($"network namespace '{nameOrPath}' cannot be opened: {e.Message}", DataplaneError.NotFound);
        }
    }

    private static ulong CurrentNamespaceId()
    {
        using var cur = NetworkNamespace.OpenCurrent();
        return cur.Id;
    }

    /// <inheritdoc />
    public override int Poll(WorkerContext ctx, int budget)
    {
        var pool = _dp.Buffers;
        var sw = Interface.SwIfIndex;
        var t0 = Stopwatch.GetTimestamp();
        var n = 0;
        ref var c = ref ctx.IfCounters[sw];
        while (n < budget)
        {
            var b = _spare;
            _spare = -1;
            if (b < 0)
            {
                b = ctx.Buffers.Alloc();
                if (b < 0)
                {
                    c.RxNoBuf++;
                    ctx.CountError(_input.NoBufferError);
                    break;
                }
            }

            var start = pool.Start(b) + BufferPool.Headroom - VirtioNetHeader.Size;
            var r = Libc.read(_fd, start, (nuint)(BufferPool.DataSize + VirtioNetHeader.Size));
            if (r < VirtioNetHeader.Size + 14)
            {
                _spare = b;
                if (r >= 0)
                {
                    c.RxErrors++;
                    ctx.CountError(_input.ShortError);
                    continue;
                }

                var errno = Libc.Errno;
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (errno != Libc.EAGAIN)
                {
                    c.RxErrors++;
                    ctx.CountError(_input.ReadError);
                }

                break;
            }

            ref var m = ref pool.Meta(b);
            m.CurrentLength = (int)r - VirtioNetHeader.Size;
            m.RxSwIfIndex = sw;
            VirtioNetHeader.Parse(start, ref m);
            c.RxPackets++;
            c.RxBytes += m.CurrentLength;
            if (ctx.TracingActive && ctx.TryStartTrace(_inputNode, b))
            {
                ctx.TraceRecord(b, Dataplane.TapInputNodeName,
                    $"virtio: hw_if_index {Interface.HwIfIndex} next-index 0 vring 0 len {m.CurrentLength}\n  hdr: flags 0x{start[0]:x2} gso_type 0x{start[1]:x2} hdr_len {*(ushort*)(start + 2)} gso_size {m.GsoSize} csum_start {m.CsumStart} csum_offset {m.CsumOffset}");
            }

            ctx.Enqueue(_ethernetInput, b);
            n++;
        }

        ctx.AccountInput(_inputNode, n, Stopwatch.GetTimestamp() - t0);
        return n;
    }

    /// <inheritdoc />
    public override void Transmit(WorkerContext ctx, int buffer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var pool = _dp.Buffers;
        ref var m = ref pool.Meta(buffer);
        if (!_offload && SoftwareOffload.Needed(ref m))
        {
            SoftwareOffload.Resolve(ctx, buffer, this);
            return;
        }

        var h = pool.Data(buffer) - VirtioNetHeader.Size;
        VirtioNetHeader.Write(h, ref m);
        while (true)
        {
            var r = Libc.write(_fd, h, (nuint)(m.CurrentLength + VirtioNetHeader.Size));
            if (r >= 0 || Libc.Errno != Libc.EINTR)
            {
                if (r < 0)
                {
                    ctx.IfCounters[Interface.SwIfIndex].TxErrors++;
                }

                break;
            }
        }

        ctx.Buffers.Free(buffer);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _tap.Dispose();
            if (_spare >= 0)
            {
                _dp.Buffers.FreeShared(_spare);
                _spare = -1;
            }
        }
    }
}
