using System.Buffers.Binary;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using Contiv.Vpp.Ip4;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Issue 5 in process: two data planes ("nodes") configured like SPEC §2.6 (BD 10 with BVI + VXLAN
/// tunnel, static ARP and L2 FIB for the remote BVI, routes to the remote pod subnet); the underlay is
/// a packet-generator interface on each side and the test carries frames between them.
/// </summary>
public sealed class OverlayTests
{
    private sealed class Node : IDisposable
    {
        public Node(int n, int remote)
        {
            N = n;
            Dp = new Dataplane(new DataplaneOptions { Buffers = 2048 });
            Dp.Start();
            Cli = new CliEngine(Dp);
            Underlay = Dp.CreatePacketGenerator(MacAddress.Parse($"02:16:00:00:00:0{n}"));
            Pod = Dp.CreatePacketGenerator(MacAddress.Parse($"02:fe:00:00:0{n}:01"));
            Run($"set interface ip address {Underlay.DevName} 192.168.16.{n}/24");
            Run($"set interface state {Underlay.DevName} up");
            Run($"set ip neighbor {Underlay.DevName} 192.168.16.{remote} 02:16:00:00:00:0{remote} static");
            Run("ip table add 1");
            Run($"set interface ip table {Pod.DevName} 1");
            Run($"set interface ip address {Pod.DevName} 10.1.{n}.1/24");
            Run($"set interface state {Pod.DevName} up");
            Run($"set ip neighbor {Pod.DevName} 10.1.{n}.2 {PodMac} static");
            Assert.Equal("bridge-domain 10", Run("create bridge-domain 10 learn 0 forward 1 flood 0 uu-flood 0").Trim());
            Assert.Equal("loop0", Run($"create loopback interface mac 12:2b:00:00:00:0{n}").Trim());
            Run("set interface ip table loop0 1");
            Run($"set interface ip address loop0 192.168.30.{n}/24");
            Run("set interface state loop0 up");
            Run("set interface l2 bridge loop0 10 bvi 1");
            Assert.Equal("vxlan_tunnel0", Run($"create vxlan tunnel src 192.168.16.{n} dst 192.168.16.{remote} vni 10").Trim());
            Run("set interface l2 bridge vxlan_tunnel0 10 1");
            Run($"set ip neighbor loop0 192.168.30.{remote} 12:2b:00:00:00:0{remote} static");
            Run($"l2fib add 12:2b:00:00:00:0{remote} 10 vxlan_tunnel0 static");
            Run($"ip route add 10.1.{remote}.0/24 table 1 via 192.168.30.{remote} loop0");
        }

        public static readonly MacAddress PodMac = MacAddress.Parse("02:aa:00:00:00:02");

        public int N { get; }

        public Dataplane Dp { get; }

        public CliEngine Cli { get; }

        public SwInterface Underlay { get; }

        public SwInterface Pod { get; }

        public List<byte[]> TakeUnderlay()
        {
            var l = Dataplane.Captured(Underlay).ToList();
            ((PacketGeneratorDevice)Underlay.Device!).ClearCaptured();
            return l;
        }

        public IReadOnlyList<byte[]> PodOut => Dataplane.Captured(Pod);

        public string Run(string cmd)
        {
            var r = Cli.Execute(cmd);
            Assert.False(r.Error, $"node{N} `{cmd}`: {r.Output}");
            return r.Output;
        }

        public long Error(string node, string reason)
        {
            var errors = Dp.Graph.Errors;
            long total = 0;
            for (var e = 0; e < errors.Count; e++)
            {
                if (errors[e].Node.Name == node && errors[e].Reason == reason)
                {
                    total += Dp.Contexts.Sum(c => c.ErrorCounters[e]);
                }
            }

            return total;
        }

        public void Dispose() => Dp.Dispose();
    }

    [Fact]
    public void Pod_packet_crosses_the_vxlan_overlay_with_correct_headers()
    {
        using var n1 = new Node(1, 2);
        using var n2 = new Node(2, 1);
        var ping = Packets.Ip4("10.1.1.2", "10.1.2.2", 1, Packets.IcmpEcho(5, 1), ttl: 64);
        n1.Run("trace add pg-input 5");
        n1.Dp.Inject(n1.Pod, Packets.Ethernet(n1.Pod.Mac, Node.PodMac, 0x0800, ping));

        var taken = n1.TakeUnderlay();
        Assert.True(taken.Count == 1, n1.Run("show errors") + n1.Run("show trace"));
        var outer = taken[0];
        Assert.Equal(MacAddress.Parse("02:16:00:00:00:02"), Packets.DstMac(outer));
        Assert.Equal("192.168.16.1", Packets.IpSrc(outer));
        Assert.Equal("192.168.16.2", Packets.IpDst(outer));
        Assert.Equal(17, Packets.Proto(outer));
        Assert.True(Packets.ChecksumOk(outer.AsSpan(14, 20)));
        Assert.Equal(outer.Length - 14, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(16)));
        Assert.Equal(4789, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(36)));
        Assert.True(BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(34)) >= 49152, "flow-hashed source port");
        Assert.Equal(outer.Length - 34, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(38)));
        Assert.Equal(0x08, outer[42]);
        Assert.Equal(10u, BinaryPrimitives.ReadUInt32BigEndian(outer.AsSpan(46)) >> 8);
        var inner = outer[50..];
        Assert.Equal(MacAddress.Parse("12:2b:00:00:00:02"), Packets.DstMac(inner));
        Assert.Equal(MacAddress.Parse("12:2b:00:00:00:01"), Packets.SrcMac(inner));
        Assert.Equal(63, Packets.Ttl(inner));

        n2.Dp.Inject(n2.Underlay, outer);
        var delivered = Assert.Single(n2.PodOut);
        Assert.Equal(Node.PodMac, Packets.DstMac(delivered));
        Assert.Equal("10.1.1.2", Packets.IpSrc(delivered));
        Assert.Equal(62, Packets.Ttl(delivered));
        Assert.True(Packets.ChecksumOk(delivered.AsSpan(14, 20)));
        Assert.Matches(@"vxlan_tunnel0\s+\d+\s+1\s+1\s+-", n2.Run("show bridge-domain 10 detail"));
        Assert.Contains("12:2b:00:00:00:01", n2.Run("show l2fib all"), StringComparison.Ordinal);
        Assert.Contains("[0] instance 0 src 192.168.16.2 dst 192.168.16.1 src_port 4789 dst_port 4789 vni 10", n2.Run("show vxlan tunnel"), StringComparison.Ordinal);
    }

    private const int SuperPayload = 10_000;
    private const int Mss = 1400;

    /// <summary>A TCP/IPv4 super-frame from pod 10.1.1.2 as the kernel hands it over (partial checksum, PSH set).</summary>
    private static (byte[] Frame, byte[] Tcp) SuperFrame(Node n1)
    {
        var tcp = new byte[20 + SuperPayload];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), 1000);
        tcp[12] = 0x50;
        tcp[13] = 0x18;
        for (var i = 0; i < SuperPayload; i++)
        {
            tcp[20 + i] = (byte)(i * 7);
        }

        var ip = Packets.Ip4("10.1.1.2", "10.1.2.2", 6, tcp);
        // Partial checksum: the pseudo-header sum in the checksum field.
        var pseudo = Checksum.Fold(Checksum.PseudoHeader(Ip4Address.Parse("10.1.1.2"), Ip4Address.Parse("10.1.2.2"), 6, tcp.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(20 + 16), pseudo);
        return (Packets.Ethernet(n1.Pod.Mac, Node.PodMac, 0x0800, ip), tcp);
    }

    private static void InjectSuperFrame(Node n1, byte[] frame)
        => n1.Dp.Inject(n1.Pod, frame, GsoType.TcpV4, Mss, checksumPartial: true, csumStart: 34, csumOffset: 16);

    [Fact]
    public void Gso_super_frame_on_an_underlay_without_offload_leaves_as_ordinary_vxlan_datagrams()
    {
        using var n1 = new Node(1, 2);
        using var n2 = new Node(2, 1);
        var (frame, tcp) = SuperFrame(n1);
        InjectSuperFrame(n1, frame);

        var outers = n1.TakeUnderlay();
        Assert.Equal(8, outers.Count);
        Assert.All(outers, o => Assert.True(o.Length - 14 <= 1500, $"outer IP {o.Length - 14} bytes"));
        foreach (var o in outers)
        {
            // Software USO: every datagram has its own correct lengths and checksums.
            Assert.True(Packets.ChecksumOk(o.AsSpan(14, 20)));
            Assert.Equal(o.Length - 34, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(38)));
            var udp = o.AsSpan(34);
            Assert.Equal(0xffff, Checksum.Fold(Checksum.Sum(udp, Checksum.PseudoHeader(Ip4Address.Parse("192.168.16.1"), Ip4Address.Parse("192.168.16.2"), 17, udp.Length))));
            n2.Dp.Inject(n2.Underlay, o);
        }

        var segs = n2.PodOut;
        Assert.Equal(8, segs.Count);
        var seq = 1000u;
        var got = new List<byte>();
        foreach (var s in segs)
        {
            var ipLen = BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(16));
            var seg = s.AsSpan(34, ipLen - 20);
            Assert.Equal(seq, BinaryPrimitives.ReadUInt32BigEndian(seg[4..]));
            var sum = Checksum.PseudoHeader(Ip4Address.Parse("10.1.1.2"), Ip4Address.Parse("10.1.2.2"), 6, seg.Length);
            Assert.Equal(0xffff, Checksum.Fold(Checksum.Sum(seg, sum)));
            got.AddRange(seg[20..].ToArray());
            seq += (uint)(seg.Length - 20);
        }

        Assert.Equal(tcp[20..], got.ToArray());
    }

    [Fact]
    public void Gso_super_frame_crosses_the_overlay_as_one_udp_gso_packet_and_is_merged_back()
    {
        using var n1 = new Node(1, 2);
        using var n2 = new Node(2, 1);
        ((PacketGeneratorDevice)n1.Underlay.Device!).Offload = true;
        ((PacketGeneratorDevice)n2.Pod.Device!).Offload = true;
        var (frame, tcp) = SuperFrame(n1);
        InjectSuperFrame(n1, frame);

        // One UDP GSO packet: outer headers once, then 8 VXLAN datagrams of gso_size bytes (the last shorter).
        var (gso, gsoSize, partial) = Assert.Single(((PacketGeneratorDevice)n1.Underlay.Device!).CapturedOffload);
        var outer = Assert.Single(n1.TakeUnderlay());
        Assert.Equal((GsoType.UdpL4, 8 + 14 + 20 + 20 + Mss, true), (gso, gsoSize, partial));
        Assert.Equal(outer.Length - 14, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(16)));
        Assert.Equal(outer.Length - 34, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(38)));
        var datagrams = outer.AsSpan(42);
        Assert.Equal(8, (datagrams.Length + gsoSize - 1) / gsoSize);
        var seq = 1000u;
        for (var off = 0; off < datagrams.Length; off += gsoSize)
        {
            var d = datagrams.Slice(off, Math.Min(gsoSize, datagrams.Length - off));
            Assert.Equal(0x08, d[0]);
            Assert.Equal(10u, BinaryPrimitives.ReadUInt32BigEndian(d[4..]) >> 8);
            var innerIp = d.Slice(8 + 14);
            Assert.Equal(d.Length - 8 - 14, BinaryPrimitives.ReadUInt16BigEndian(innerIp[2..]));
            Assert.True(Packets.ChecksumOk(innerIp[..20]));
            var seg = innerIp[20..];
            Assert.Equal(seq, BinaryPrimitives.ReadUInt32BigEndian(seg[4..]));
            Assert.Equal(off + gsoSize >= datagrams.Length ? 0x18 : 0x10, seg[13]);
            Assert.Equal(0xffff, Checksum.Fold(Checksum.Sum(seg, Checksum.PseudoHeader(Ip4Address.Parse("10.1.1.2"), Ip4Address.Parse("10.1.2.2"), 6, seg.Length))));
            seq += (uint)(seg.Length - 20);
        }

        // The receiving node merges the datagrams back into one TCP super-frame for the pod.
        n2.Dp.Inject(n2.Underlay, outer, GsoType.UdpL4, gsoSize, checksumPartial: true, csumStart: 34, csumOffset: 6);
        var delivered = Assert.Single(n2.PodOut);
        var (dgso, dsize, dpartial) = Assert.Single(((PacketGeneratorDevice)n2.Pod.Device!).CapturedOffload);
        Assert.Equal((GsoType.TcpV4, Mss, true), (dgso, dsize, dpartial));
        Assert.Equal(Node.PodMac, Packets.DstMac(delivered));
        Assert.Equal(delivered.Length - 14, BinaryPrimitives.ReadUInt16BigEndian(delivered.AsSpan(16)));
        Assert.True(Packets.ChecksumOk(delivered.AsSpan(14, 20)));
        Assert.Equal(62, Packets.Ttl(delivered));
        Assert.Equal(1000u, BinaryPrimitives.ReadUInt32BigEndian(delivered.AsSpan(34 + 4)));
        Assert.Equal(0x18, delivered[34 + 13]);
        Assert.Equal(tcp[20..], delivered[(34 + 20)..]);
        Assert.Equal(1, n2.Error("vxlan4-input", "UDP GSO packets merged into TCP super-frames"));
    }

    [Fact]
    public unsafe void Udp_gso_encapsulation_and_merging_allocate_no_managed_memory_per_packet()
    {
        using var n1 = new Node(1, 2);
        using var n2 = new Node(2, 1);
        var underlay = (PacketGeneratorDevice)n1.Underlay.Device!;
        var pod2 = (PacketGeneratorDevice)n2.Pod.Device!;
        underlay.Offload = true;
        pod2.Offload = true;
        var (frame, _) = SuperFrame(n1);
        InjectSuperFrame(n1, frame);
        var outer = Assert.Single(n1.TakeUnderlay());
        underlay.Discard = true;
        pod2.Discard = true;

        // Runs the graph on this thread like a worker: buffers in, one dispatch per 16 packets.
        static long Run(Dataplane dp, SwInterface rx, byte[] bytes, GsoType gso, int gsoSize, int csumStart, int csumOffset, int packets) => dp.Exclusive(() =>
        {
            var ctx = dp.Main;
            var eth = dp.Graph.IndexOf("ethernet-input");
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < packets; i++)
            {
                var b = ctx.Buffers.Alloc();
                ref var m = ref dp.Buffers.Meta(b);
                bytes.AsSpan().CopyTo(new Span<byte>(dp.Buffers.Data(b), bytes.Length));
                m.CurrentLength = bytes.Length;
                m.RxSwIfIndex = rx.SwIfIndex;
                m.Gso = gso;
                m.GsoSize = (ushort)gsoSize;
                m.Flags |= BufferFlags.ChecksumPartial;
                m.CsumStart = (ushort)csumStart;
                m.CsumOffset = (ushort)csumOffset;
                ctx.Enqueue(eth, b);
                if ((i & 15) == 15)
                {
                    ctx.Dispatch();
                }
            }

            ctx.Dispatch();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        var gsoSize = 8 + 14 + 20 + 20 + Mss;
        Run(n1.Dp, n1.Pod, frame, GsoType.TcpV4, Mss, 34, 16, 200);
        Run(n2.Dp, n2.Underlay, outer, GsoType.UdpL4, gsoSize, 34, 6, 200);
        Assert.Equal(0, Run(n1.Dp, n1.Pod, frame, GsoType.TcpV4, Mss, 34, 16, 5000));
        Assert.Equal(0, Run(n2.Dp, n2.Underlay, outer, GsoType.UdpL4, gsoSize, 34, 6, 5000));
        Assert.Equal(5200, underlay.Discarded);
        Assert.Equal(5200, pod2.Discarded);
        Assert.Equal(5200, n2.Error("vxlan4-input", "UDP GSO packets merged into TCP super-frames"));
    }

    [Fact]
    public void Udp_gso_packet_that_cannot_be_merged_is_split_into_datagrams()
    {
        using var n1 = new Node(1, 2);
        using var n2 = new Node(2, 1);
        ((PacketGeneratorDevice)n1.Underlay.Device!).Offload = true;
        var (frame, _) = SuperFrame(n1);
        InjectSuperFrame(n1, frame);
        var outer = Assert.Single(n1.TakeUnderlay());
        var gsoSize = 8 + 14 + 20 + 20 + Mss;

        // Sequence gap in the third datagram: not one in-order flow any more.
        var seqAt = 42 + (2 * gsoSize) + 8 + 14 + 20 + 4;
        BinaryPrimitives.WriteUInt32BigEndian(outer.AsSpan(seqAt), BinaryPrimitives.ReadUInt32BigEndian(outer.AsSpan(seqAt)) + 1);
        n2.Dp.Inject(n2.Underlay, outer, GsoType.UdpL4, gsoSize, checksumPartial: true, csumStart: 34, csumOffset: 6);

        Assert.Equal(8, n2.PodOut.Count);
        Assert.Equal(1, n2.Error("vxlan4-input", "UDP GSO packets split into datagrams"));
        Assert.Equal(0, n2.Error("vxlan4-input", "UDP GSO packets merged into TCP super-frames"));
        Assert.Equal(8, n2.Error("vxlan4-input", "packets decapsulated"));
    }

    [Fact]
    public void Wrong_vni_unknown_vtep_truncated_header_and_other_udp_ports_are_counted_and_dropped()
    {
        using var n1 = new Node(1, 2);
        using var n2 = new Node(2, 1);
        n1.Dp.Inject(n1.Pod, Packets.Ethernet(n1.Pod.Mac, Node.PodMac, 0x0800, Packets.Ip4("10.1.1.2", "10.1.2.2", 1, Packets.IcmpEcho(5, 1))));
        var good = Assert.Single(n1.TakeUnderlay());

        byte[] Variant(Action<byte[]> change)
        {
            var f = (byte[])good.Clone();
            change(f);
            f[24] = 0;
            f[25] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(24), Packets.IpChecksum(f.AsSpan(14, 20)));
            return f;
        }

        n2.Dp.Inject(n2.Underlay, Variant(f => f[48] = 99)); // VNI 10 -> 99
        n2.Dp.Inject(n2.Underlay, Variant(f => BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(26), Ip4Address.Parse("192.168.16.77"))));
        var truncated = Variant(f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(38), 12))[..46];
        BinaryPrimitives.WriteUInt16BigEndian(truncated.AsSpan(16), (ushort)(truncated.Length - 14));
        truncated[24] = 0;
        truncated[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(truncated.AsSpan(24), Packets.IpChecksum(truncated.AsSpan(14, 20)));
        n2.Dp.Inject(n2.Underlay, truncated);
        n2.Dp.Inject(n2.Underlay, Variant(f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(36), 4790)));

        Assert.Empty(n2.PodOut);
        Assert.Equal(2, n2.Error("vxlan4-input", "no such tunnel (unknown source VTEP or VNI)"));
        Assert.Equal(1, n2.Error("vxlan4-input", "VXLAN header or inner frame truncated"));
        Assert.Equal(1, n2.Error("ip4-icmp-error", "ICMP destination unreachable sent"));
        Assert.Matches(@"pg1\s+\d+\s+up\s+\S+\s*\n", n2.Run("show interface pg1") + "\n");

        n2.Dp.Inject(n2.Underlay, good);
        Assert.Single(n2.PodOut);
    }
}
