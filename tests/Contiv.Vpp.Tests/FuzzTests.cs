using System.Buffers.Binary;
using Contiv.Linux;
using Contiv.Vpp.Buffers;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Ethernet;
using Contiv.Vpp.Interfaces;
using CsCheck;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Property tests (CsCheck): random and mutated frames through every kind of input interface of an
/// in-process data plane (routed, bridge member, BVI, VXLAN underlay), and random CLI lines through
/// the CLI parser. After every sample no node has failed and every buffer is accounted for (free, or
/// waiting for ARP): no leak, no double free (Debug builds also check ownership per buffer).
/// </summary>
public sealed class FuzzTests
{
    private static readonly MacAddress Peer = MacAddress.Parse("02:aa:00:00:00:02");
    private static readonly MacAddress Remote = MacAddress.Parse("02:16:00:00:00:02");

    private sealed class Node : IDisposable
    {
        public Node()
        {
            Dp = new Dataplane(new DataplaneOptions { Buffers = 2048, MaxArpQueuedBuffers = 64 });
            Dp.Start();
            Cli = new CliEngine(Dp);
            Routed = Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:00:01"));
            Underlay = Dp.CreatePacketGenerator(MacAddress.Parse("02:16:00:00:00:01"));
            Member = Dp.CreatePacketGenerator(MacAddress.Parse("02:fe:00:00:02:01"));
            Run($"set interface ip address {Routed.DevName} 10.0.0.1/24");
            Run($"set interface state {Routed.DevName} up");
            Run($"set ip neighbor {Routed.DevName} 10.0.0.2 {Peer} static");
            Run($"set interface ip address {Underlay.DevName} 192.168.16.1/24");
            Run($"set interface state {Underlay.DevName} up");
            Run($"set ip neighbor {Underlay.DevName} 192.168.16.2 {Remote} static");
            Run("create bridge-domain 10");
            Run("create loopback interface mac 12:2b:00:00:00:01");
            Run("set interface ip address loop0 192.168.30.1/24");
            Run("set interface state loop0 up");
            Run("set interface l2 bridge loop0 10 bvi 1");
            Run("create vxlan tunnel src 192.168.16.1 dst 192.168.16.2 vni 10");
            Run("set interface l2 bridge vxlan_tunnel0 10 1");
            Run($"set interface l2 bridge {Member.DevName} 10");
            Run($"set interface state {Member.DevName} up");
            Run("set ip neighbor loop0 192.168.30.2 12:2b:00:00:00:02 static");
            Run("l2fib add 12:2b:00:00:00:02 10 vxlan_tunnel0 static");
            Run("ip route add 10.1.2.0/24 via 192.168.30.2 loop0");
            Run("ip route add 10.9.0.0/16 via 10.0.0.200 " + Routed.DevName); // unresolved: ARP queueing
            Inputs = [Routed, Underlay, Member, Dp.FindInterface("loop0")!];
        }

        public Dataplane Dp { get; }

        public CliEngine Cli { get; }

        public SwInterface Routed { get; }

        public SwInterface Underlay { get; }

        public SwInterface Member { get; }

        public SwInterface[] Inputs { get; }

        public void Run(string cmd) => Assert.False(Cli.Execute(cmd).Error, cmd);

        /// <summary>No node failed and every buffer is free or waiting for ARP.</summary>
        public void AssertAccounted(string what)
        {
            Assert.True(Dp.NodeFailures == 0, $"a node threw on {what}");
            int pending;
            lock (Dp.Neighbors.Lock)
            {
                pending = Dp.Neighbors.PendingBuffers;
            }

            Assert.True(Dp.BuffersInUse() == pending, $"{Dp.BuffersInUse()} buffers in use, {pending} waiting for ARP, after {what}");
            foreach (var i in Inputs)
            {
                if (i.Device is PacketGeneratorDevice pg)
                {
                    pg.ClearCaptured();
                }
            }
        }

        public void Dispose() => Dp.Dispose();
    }

    /// <summary>Valid frames of every protocol the graph parses, to be mutated.</summary>
    private static byte[][] Seeds(Node n)
    {
        var tcp = new byte[20 + 1400];
        tcp[12] = 0x50;
        tcp[13] = 0x18;
        var inner = Packets.Ethernet(MacAddress.Parse("12:2b:00:00:00:01"), MacAddress.Parse("12:2b:00:00:00:02"), 0x0800,
            Packets.Ip4("10.1.2.2", "10.0.0.2", 1, Packets.IcmpEcho(1, 1)));
        var vxlan = new byte[8 + inner.Length];
        vxlan[0] = 0x08;
        BinaryPrimitives.WriteUInt32BigEndian(vxlan.AsSpan(4), 10 << 8);
        inner.CopyTo(vxlan, 8);
        var udpVxlan = Packets.Udp(50000, 4789, vxlan.Length);
        vxlan.CopyTo(udpVxlan, 8);
        return
        [
            Packets.Ethernet(n.Routed.Mac, Peer, 0x0800, Packets.Ip4("10.0.0.2", "10.0.0.1", 1, Packets.IcmpEcho(1, 1))),
            Packets.Ethernet(n.Routed.Mac, Peer, 0x0800, Packets.Ip4("10.0.0.2", "10.1.2.2", 1, Packets.IcmpEcho(1, 1), ttl: 2)),
            Packets.Ethernet(n.Routed.Mac, Peer, 0x0800, Packets.Ip4("10.0.0.2", "10.9.1.1", 17, Packets.Udp(1, 2, 40))),
            Packets.Ethernet(n.Routed.Mac, Peer, 0x0800, Packets.Ip4("10.0.0.2", "10.0.0.1", 17, Packets.Udp(1, 7, 40))),
            Packets.Ethernet(n.Routed.Mac, Peer, 0x0800, Packets.Ip4("10.0.0.2", "10.1.2.2", 6, tcp)),
            Packets.Ethernet(MacAddress.Broadcast, Peer, 0x0806, Packets.Arp(1, Peer, "10.0.0.2", MacAddress.Zero, "10.0.0.1")),
            Packets.Ethernet(n.Routed.Mac, Peer, 0x0806, Packets.Arp(2, Peer, "10.0.0.200", n.Routed.Mac, "10.0.0.1")),
            Packets.Ethernet(n.Underlay.Mac, Remote, 0x0800, Packets.Ip4("192.168.16.2", "192.168.16.1", 17, udpVxlan)),
            Packets.Ethernet(MacAddress.Parse("12:2b:00:00:00:01"), Peer, 0x0800, Packets.Ip4("192.168.30.5", "10.0.0.2", 1, Packets.IcmpEcho(2, 2))),
        ];
    }

    /// <summary>A seed mutated by <paramref name="seed"/>: byte flips, truncation, extension, or overwrites of header fields.</summary>
    private static byte[] Mutate(byte[] frame, int seed)
    {
        var r = new Random(seed);
        var f = (byte[])frame.Clone();
        switch (r.Next(5))
        {
            case 0:
                break; // the valid frame itself
            case 1:
                for (var k = r.Next(1, 8); k > 0; k--)
                {
                    f[r.Next(f.Length)] ^= (byte)(1 << r.Next(8));
                }

                break;
            case 2:
                Array.Resize(ref f, r.Next(0, f.Length));
                break;
            case 3:
                for (var k = r.Next(1, 6); k > 0; k--)
                {
                    f[r.Next(Math.Min(f.Length, 80))] = (byte)r.Next(256);
                }

                break;
            default:
                f = new byte[r.Next(0, 200)];
                r.NextBytes(f);
                break;
        }

        return f;
    }

    [Fact]
    public void Random_and_mutated_frames_never_fail_a_node_or_lose_a_buffer()
    {
        using var n = new Node();
        var seeds = Seeds(n);
        var gen = Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int, Gen.Int[0, n.Inputs.Length - 1], Gen.Int[0, 7]);
        var injected = 0;
        Check.Sample(gen, t =>
        {
            var (s, m, input, gso) = t;
            var frame = Mutate(seeds[s], m);
            if (frame.Length == 0)
            {
                return;
            }

            // Sometimes claim offloads: a TCP super-frame with a partial checksum, or a UDP GSO packet.
            var g = gso switch { 1 => GsoType.TcpV4, 2 => GsoType.UdpL4, _ => GsoType.None };
            injected++;
            n.Dp.Inject(n.Inputs[input], frame, g, g == GsoType.None ? 0 : 1 + (m & 0x7ff), checksumPartial: gso is 1 or 3, csumStart: 34, csumOffset: 16);
            n.AssertAccounted($"seed {s} mutation {m} on {n.Inputs[input].DevName} gso {gso}");
        }, iter: 20000, threads: 1);
        Assert.True(injected > 15000, $"only {injected} frames injected");
        Assert.True(n.Dp.Contexts.Sum(c => c.ErrorCounters.Sum()) > 1000, "the mutated frames never reached a drop reason");
    }

    [Fact]
    public void Random_cli_lines_are_answered_and_never_throw()
    {
        using var n = new Node();
        // Commands that open real host devices (TAPs, AF_PACKET) are left out: nothing may touch the host.
        string[] commands =
        [
            "show interface", "show interface address", "show hardware-interfaces", "show ip fib", "show ip neighbors",
            "show errors", "show buffers", "show runtime", "show trace", "show bridge-domain", "show l2fib", "show vxlan tunnel",
            "show ip table", "show proxy-arp", "show threads", "show version", "clear errors", "clear trace", "clear runtime",
            "set interface state", "set interface ip address", "set interface ip address del", "set interface ip table",
            "set interface mtu", "set interface mac address", "set interface unnumbered", "set interface proxy-arp",
            "set interface l2 bridge", "set interface l3", "set ip neighbor", "set ip neighbor del", "ip route add", "ip route del",
            "ip table add", "ip table del", "create bridge-domain", "create loopback interface", "delete loopback interface intfc",
            "create vxlan tunnel", "l2fib add", "l2fib del", "set arp proxy", "trace add pg-input", "bvi create", "",
        ];
        string[] words =
        [
            "pg0", "pg1", "pg2", "loop0", "loop1", "vxlan_tunnel0", "local0", "up", "down", "del", "via", "table", "src", "dst",
            "vni", "static", "bvi", "10.0.0.0/24", "10.0.0.2", "0.0.0.0/0", "255.255.255.255/32", "1.2.3.4/33", "300.1.1.1",
            "02:aa:00:00:00:09", "ff:ff:ff:ff:ff:ff", "zz:zz", "0", "1", "10", "65535", "4294967296", "-1", "all", "drop", "local",
            "ip4-lookup-in-table", "count", "weight", "mac", "instance", "use", "packet", "ip4", "\u00e9", "\"", "\t", new string('x', 300),
        ];
        var gen = Gen.Select(Gen.Int[0, commands.Length - 1], Gen.Int[0, words.Length - 1].Array[0, 8]);
        var failed = 0;
        Check.Sample(gen, t =>
        {
            var (c, args) = t;
            var line = commands[c];
            foreach (var a in args)
            {
                line += " " + words[a];
            }

            var result = n.Cli.Execute(line);
            Assert.NotNull(result.Output);
            failed += result.Error ? 1 : 0;
            n.AssertAccounted($"`{line}`");
        }, iter: 5000, threads: 1);
        Assert.True(failed > 100, "random lines should mostly be refused with an error");
    }
}
