using System.Globalization;
using System.Text.RegularExpressions;
using Contiv.Testing;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Interfaces;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Issue 21, "Workers": with two workers one interface's flows are spread over both — a TAP is opened
/// multi-queue (a queue fd per worker) and an AF_PACKET interface is a fanout group (a socket per worker) —
/// and the kernel's flow hash keeps each flow on one worker. Real TAPs and veths in namespaces of this
/// test, in process: 16 UDP flows of sequence-numbered datagrams each way between two pods arrive complete
/// and in order while the control thread adds and deletes routes and a TAP at the barrier; both workers
/// received on the one interface the flows entered; per-worker counters add up to <c>show interface</c>;
/// the control thread received nothing; no buffer is left over.
/// </summary>
public sealed class MultiQueueTests : IDisposable
{
    private const int Flows = 16;
    private const int PerFlow = 250;

    // Runs in each pod: a sink on UDP 7002 counting "<flow> <seq>" datagrams per flow (and any that arrive after
    // a later one of its flow), and once the go file exists, Flows flows (one socket, i.e. one source port, each)
    // of PerFlow datagrams to the peer, interleaved and paced. Prints: flows seen, fewest and most datagrams of
    // a flow, out-of-order datagrams, total.
    private const string FlowScript = """
        import os,socket,sys,threading,time
        me,peer,go,flows,n=sys.argv[1],sys.argv[2],sys.argv[3],int(sys.argv[4]),int(sys.argv[5])
        r=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
        r.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1<<22)
        r.bind((me,7002))
        last={};cnt={};bad=[0]
        def sink():
          r.settimeout(20)
          try:
            while True:
              f,q=r.recv(64).split()
              q=int(q)
              if q<=last.get(f,-1): bad[0]+=1
              last[f]=q;cnt[f]=cnt.get(f,0)+1
              r.settimeout(1)
          except socket.timeout: pass
        t=threading.Thread(target=sink);t.start()
        while not os.path.exists(go): time.sleep(0.01)
        ss=[socket.socket(socket.AF_INET,socket.SOCK_DGRAM) for _ in range(flows)]
        for k,s in enumerate(ss): s.bind((me,41000+k))
        for i in range(n):
          for k,s in enumerate(ss): s.sendto(b'%d %d'%(k,i),(peer,7002))
          if i%4==3: time.sleep(0.004)
        t.join()
        v=list(cnt.values()) or [0]
        print(len(cnt),min(v),max(v),bad[0],sum(v))
        """;

    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public void Flows_into_one_multi_queue_tap_are_spread_over_both_workers_whole_and_in_order()
    {
        var node = Namespace("node");
        var a = Namespace("mqa");
        var c = Namespace("mqc");
        var d = Namespace("mqd");
        using var dp = new Dataplane(new DataplaneOptions { Workers = 2, MultiQueue = true, Buffers = 4096, HostNamespace = node });
        dp.Start();
        var cli = new CliEngine(dp);
        Run(cli, "ip table add 1");
        Pod(cli, 0, a, "10.1.1");
        Pod(cli, 1, c, "10.1.3");
        var tap0 = dp.FindInterface("tap0")!;
        var tap1 = dp.FindInterface("tap1")!;

        // Both TAPs are multi-queue: queue q polled by worker q; the pod's side has a queue per worker too.
        Assert.Equal(2, tap0.Device!.RxQueueCount);
        Assert.NotEqual(tap0.Device.QueueFd(0), tap0.Device.QueueFd(1));
        var hw = Squeeze(cli.Execute("show hardware-interfaces tap0").Output);
        Assert.Contains("RX Queues: queue thread mode 0 vpp_wk_0 (1) interrupt 1 vpp_wk_1 (2) interrupt", hw, StringComparison.Ordinal);
        Assert.Contains("multi-queue: 2 queues", hw, StringComparison.Ordinal);
        var podQueues = NetnsScope.Exec(a, "ls /sys/class/net/eth0/queues").EnsureSuccess("pod queues").StdOut;
        Assert.Contains("tx-1", podQueues, StringComparison.Ordinal);
        Assert.Contains("rx-1", podQueues, StringComparison.Ordinal);

        Exchange(dp, cli, a, "10.1.1.2", c, "10.1.3.2", tap0, tap1, d);
    }

    [RootFact]
    public void Flows_into_one_af_packet_fanout_group_are_spread_over_both_workers_whole_and_in_order()
    {
        var node = Namespace("node");
        var p = Namespace("mqp");
        var c = Namespace("mqc");
        var d = Namespace("mqd");
        _scope.Veth("vethp", node, "eth0", p);
        Shell.Ip($"-n {p} addr add 10.1.2.2/24 dev eth0");
        Shell.Ip($"-n {p} route add default via 10.1.2.1");
        // Rings of 128 frames per socket: a worker that loses its CPU for a while on a busy 2-core machine must
        // not cost datagrams here (this test is about order and spreading, not ring depth).
        using var dp = new Dataplane(new DataplaneOptions { Workers = 2, MultiQueue = true, Buffers = 4096, HostNamespace = node, AfPacketRxFrames = 256 });
        dp.Start();
        var cli = new CliEngine(dp);
        Run(cli, "ip table add 1");
        Run(cli, "create host-interface name vethp");
        Run(cli, "set interface ip table host-vethp 1");
        Run(cli, "set interface ip address host-vethp 10.1.2.1/24");
        Run(cli, "set interface state host-vethp up");
        Pod(cli, 1, c, "10.1.3");
        var host = dp.FindInterface("host-vethp")!;
        var tap1 = dp.FindInterface("tap1")!;

        // One socket per worker, in one hash fanout group.
        var dev = Assert.IsType<AfPacketDevice>(host.Device);
        Assert.Equal(2, dev.RxQueueCount);
        Assert.True(dev.FanoutGroup >= 0);
        var hw = Squeeze(cli.Execute("show hardware-interfaces host-vethp").Output);
        Assert.Contains("RX Queues: queue thread mode 0 vpp_wk_0 (1) interrupt 1 vpp_wk_1 (2) interrupt", hw, StringComparison.Ordinal);
        Assert.Contains($"fanout hash group {dev.FanoutGroup}: 2 sockets", hw, StringComparison.Ordinal);

        Exchange(dp, cli, p, "10.1.2.2", c, "10.1.3.2", host, tap1, d);
        // Nothing was lost in the rings either.
        Assert.Equal(0, dev.RingStatistics().Drops);
    }

    /// <summary>
    /// Flows both ways between <paramref name="x"/> (on <paramref name="ix"/>) and <paramref name="y"/> (on
    /// <paramref name="iy"/>) while the configuration changes; then the checks shared by both tests.
    /// </summary>
    private static void Exchange(Dataplane dp, CliEngine cli, string x, string xAddr, string y, string yAddr, SwInterface ix, SwInterface iy, string spare)
    {
        Assert.True(NetnsScope.Ping(x, yAddr, count: 1, waitSeconds: 3), $"{x} -> {y}");
        Run(cli, "clear interfaces");
        // Buffers in use apart from the TAP queues' spares (a queue keeps one once it has read, so their number grows
        // as queues start to receive): anything else left over after the traffic is a leak.
        int InUse() => dp.Exclusive(() => dp.BuffersInUse() - dp.Interfaces.Sum(i => i.Device is TapInterfaceDevice t ? t.SpareBuffers : 0));
        var idle = InUse();
        var go = Path.Combine(Path.GetTempPath(), $"mq-go-{Guid.NewGuid():N}");
        Task<CommandResult> Start(string ns, string me, string peer) => Task.Run(() => Shell.Run("ip",
            ["netns", "exec", ns, "python3", "-c", FlowScript, me, peer, go,
                Flows.ToString(CultureInfo.InvariantCulture), PerFlow.ToString(CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(60)));
        var tx = Start(x, xAddr, yAddr);
        var ty = Start(y, yAddr, xAddr);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            foreach (var ns in new[] { x, y })
            {
                while (!NetnsScope.Exec(ns, "ss -Huln sport = :7002").StdOut.Contains("7002", StringComparison.Ordinal))
                {
                    Assert.True(DateTime.UtcNow < deadline && !tx.IsCompleted && !ty.IsCompleted, $"the UDP sink in {ns} did not start");
                    Thread.Sleep(20);
                }
            }

            File.WriteAllText(go, string.Empty);

            // Meanwhile the control thread changes the configuration at the barrier, again and again.
            var changes = 0;
            var tapChanges = 0;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (!tx.IsCompleted || !ty.IsCompleted)
            {
                Run(cli, $"ip route add 10.77.0.0/16 table 1 via {yAddr} {iy.DevName}");
                Run(cli, $"ip route del 10.77.0.0/16 table 1 via {yAddr} {iy.DevName}");
                if (changes % 10 == 0 && sw.Elapsed < TimeSpan.FromSeconds(1.5))
                {
                    Run(cli, $"create tap id 5 host-if-name eth0 host-ns {spare}");
                    Run(cli, "set interface state tap5 up");
                    Run(cli, "delete tap tap5");
                    tapChanges++;
                }

                changes++;
            }

            Assert.True(changes >= 2 && tapChanges >= 1, $"only {changes} configuration changes ({tapChanges} TAPs) while forwarding");
        }
        finally
        {
            File.Delete(go);
        }

        foreach (var (ns, t) in new[] { (x, tx), (y, ty) })
        {
            // Received by ns (its script's sink): every flow complete, none reordered.
            var got = t.GetAwaiter().GetResult().EnsureSuccess("flows").StdOut.Trim().Split(' ').Select(int.Parse).ToArray();
            Assert.True(got[0] == Flows && got[1] == PerFlow && got[2] == PerFlow && got[3] == 0,
                $"received in {ns}: {got[0]} flows, {got[1]}..{got[2]} datagrams each, {got[3]} out of order\n"
                + cli.Execute($"show interface {ix.DevName} {iy.DevName}").Output + cli.Execute("show errors").Output
                + NetnsScope.Exec(ns, "ip -s link show eth0").StdOut + NetnsScope.Exec(ns, "cat /proc/net/snmp").StdOut
                + (ix.Device is AfPacketDevice af ? $"ring drops {af.RingStatistics().Drops}" : string.Empty));
        }

        var (rxX, rxY, txX, txY, mainRx, drops) = dp.Exclusive(() =>
        {
            var rx0 = new List<long>();
            var rx1 = new List<long>();
            var tx0 = new List<long>();
            var tx1 = new List<long>();
            long main = 0, dropped = 0;
            foreach (var ctx in dp.Contexts)
            {
                ref var cx = ref ctx.IfCounters[ix.SwIfIndex];
                ref var cy = ref ctx.IfCounters[iy.SwIfIndex];
                dropped += cx.TxErrors + cx.TxQueueFull + cy.TxErrors + cy.TxQueueFull + cx.RxErrors + cy.RxErrors;
                if (ctx == dp.Main)
                {
                    main += cx.RxPackets + cy.RxPackets;
                    continue;
                }

                rx0.Add(cx.RxPackets);
                rx1.Add(cy.RxPackets);
                tx0.Add(cx.TxPackets);
                tx1.Add(cy.TxPackets);
            }

            return (rx0, rx1, tx0, tx1, main, dropped);
        });
        Assert.Equal(0, mainRx);
        Assert.Equal(0, drops);
        const int total = Flows * PerFlow;
        foreach (var (intf, rx, txs) in new[] { (ix, rxX, txX), (iy, rxY, txY) })
        {
            // The flows that entered on this one interface were received by both workers (the kernel spread them).
            Assert.True(rx.Count == 2 && rx[0] > 0 && rx[1] > 0, $"{intf.DevName} rx per worker {string.Join(" / ", rx)}");
            // Both workers wrote into it too (each on its own queue), the flows of the other direction.
            Assert.True(txs[0] > 0 && txs[1] > 0, $"{intf.DevName} tx per worker {string.Join(" / ", txs)}");
            var rxSum = rx.Sum();
            var txSum = txs.Sum();
            Assert.True(rxSum >= total && rxSum < total + 20, $"{intf.DevName} rx {rxSum}");
            Assert.True(txSum >= total && txSum < total + 20, $"{intf.DevName} tx {txSum}");
            var shown = Squeeze(cli.Execute($"show interface {intf.DevName}").Output);
            Assert.Contains($"rx packets {rxSum}", shown, StringComparison.Ordinal);
            Assert.Contains($"tx packets {txSum}", shown, StringComparison.Ordinal);
        }

        Assert.Equal(idle, InUse());
    }

    /// <summary>A namespace without IPv6, so the interface counters only see the test's traffic (and ARP).</summary>
    private string Namespace(string name)
    {
        var ns = _scope.Create(name);
        NetnsScope.Exec(ns, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1").EnsureSuccess("disable ipv6");
        return ns;
    }

    private static void Pod(CliEngine cli, int id, string ns, string net)
    {
        Run(cli, $"create tap id {id} host-if-name eth0 host-ns {ns} host-ip4-addr {net}.2/24 host-ip4-gw {net}.1");
        Run(cli, $"set interface ip table tap{id} 1");
        Run(cli, $"set interface ip address tap{id} {net}.1/24");
        Run(cli, $"set interface state tap{id} up");
    }

    private static void Run(CliEngine cli, string cmd)
    {
        var r = cli.Execute(cmd);
        Assert.False(r.Error, $"`{cmd}` failed: {r.Output}");
    }

    private static string Squeeze(string s) => Regex.Replace(s, @"\s+", " ");
}
