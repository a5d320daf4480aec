using Contiv.Testing;
using Contiv.Vpp.Cli;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Issue 21, "Workers": a data plane with two workers and single-queue interfaces (<c>MultiQueue = false</c>,
/// <c>--no-multi-queue</c>; multi-queue TAPs and AF_PACKET fanout: <see cref="MultiQueueTests"/>), real TAPs in
/// real pod namespaces, in process. Every rx queue (one per TAP) is polled by exactly one worker, so a flow, which enters on one TAP,
/// is handled by one thread in order; two workers write into the same TAP concurrently; counters kept
/// per worker add up to what the pods sent and received; the control thread (context 0) receives
/// nothing; and configuration changes at the barrier (routes, a TAP created and deleted) while both
/// workers forward lose no packet of the flows and reorder none.
/// </summary>
public sealed class TwoWorkerTests : IDisposable
{
    private const int PerFlow = 3000;
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootFact]
    public void Flows_from_two_workers_into_one_tap_arrive_whole_in_order_and_counters_add_up_while_config_changes()
    {
        var a = _scope.Create("twa");
        var b = _scope.Create("twb");
        var c = _scope.Create("twc");
        var d = _scope.Create("twd");
        using var dp = new Dataplane(new DataplaneOptions { Workers = 2, Buffers = 4096, MultiQueue = false });
        dp.Start();
        var cli = new CliEngine(dp);
        void Run(string cmd)
        {
            var r = cli.Execute(cmd);
            Assert.False(r.Error, $"`{cmd}` failed: {r.Output}");
        }

        Run("ip table add 1");
        var pods = new[] { a, b, c };
        for (var i = 0; i < pods.Length; i++)
        {
            Run($"create tap id {i} host-if-name eth0 host-ns {pods[i]} host-ip4-addr 10.1.{i + 1}.2/24 host-ip4-gw 10.1.{i + 1}.1");
            Run($"set interface ip table tap{i} 1");
            Run($"set interface ip address tap{i} 10.1.{i + 1}.1/24");
            Run($"set interface state tap{i} up");
        }

        var tap0 = dp.FindInterface("tap0")!;
        var tap1 = dp.FindInterface("tap1")!;
        var tap2 = dp.FindInterface("tap2")!;
        // The two senders' TAPs are polled by different workers (assignment is round robin per rx queue).
        Assert.NotNull(tap0.Worker);
        Assert.NotNull(tap1.Worker);
        Assert.NotSame(tap0.Worker, tap1.Worker);
        Assert.True(NetnsScope.Ping(a, "10.1.3.2", count: 1, waitSeconds: 3), "pod A -> pod C");
        Assert.True(NetnsScope.Ping(b, "10.1.3.2", count: 1, waitSeconds: 3), "pod B -> pod C");

        Run("clear interfaces");
        var idle = dp.BuffersInUse();
        // Pod C records every datagram "<flow> <seq>" on UDP 7002 until both flows are silent for 3 s.
        var sink = Task.Run(() => Shell.Run("ip", ["netns", "exec", c, "python3", "-c",
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1<<22)\n"
            + "s.bind(('10.1.3.2',7002))\ns.settimeout(3)\nlast={}\nn={}\nbad=0\n"
            + "try:\n  while True:\n    f,q=s.recv(100).split()\n    q=int(q)\n    if q<=last.get(f,-1): bad+=1\n    last[f]=q\n    n[f]=n.get(f,0)+1\n"
            + "except socket.timeout: pass\nprint(n.get(b'a',0),n.get(b'b',0),bad)"],
            timeout: TimeSpan.FromSeconds(90)));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Shell.Run("ip", ["netns", "exec", c, "ss", "-Huln", "sport", "=", ":7002"]).StdOut.Contains("7002", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the UDP sink in pod C did not start");
            Thread.Sleep(50);
        }

        // Two flows, one per worker, paced in bursts of 50 so pod C's socket never overflows.
        Task<CommandResult> Send(string ns, string flow) => Task.Run(() => Shell.Run("ip", ["netns", "exec", ns, "python3", "-c",
            $"import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range({PerFlow}):\n"
            + $"  s.sendto(b'{flow} %d' % i,('10.1.3.2',7002))\n  if i % 50 == 49: time.sleep(0.002)"],
            timeout: TimeSpan.FromSeconds(60)));
        var sendA = Send(a, "a");
        var sendB = Send(b, "b");

        // Meanwhile the control thread changes the configuration at the barrier, again and again.
        var changes = 0;
        while (!sendA.IsCompleted || !sendB.IsCompleted)
        {
            Run("ip route add 10.77.0.0/16 table 1 via 10.1.3.2 tap2");
            Run("ip route del 10.77.0.0/16 table 1 via 10.1.3.2 tap2");
            if (changes % 10 == 0)
            {
                Run($"create tap id 3 host-if-name eth0 host-ns {d}");
                Run("set interface state tap3 up");
                Run("delete tap tap3");
            }

            changes++;
        }

        sendA.GetAwaiter().GetResult().EnsureSuccess("flow a");
        sendB.GetAwaiter().GetResult().EnsureSuccess("flow b");
        var got = sink.GetAwaiter().GetResult().EnsureSuccess("udp sink").StdOut.Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.True(changes >= 2, $"only {changes} configuration changes while forwarding");
        Assert.Equal(0, got[2]); // no datagram of a flow arrived after a later one of the same flow
        Assert.Equal(PerFlow, got[0]);
        Assert.Equal(PerFlow, got[1]);

        // Counters: each worker counted what it handled; summed, they match what the pods saw.
        var (rx0, rx1, tx2, mainRx, w0Tx2, w1Tx2, drops) = dp.Exclusive(() =>
        {
            long r0 = 0, r1 = 0, t2 = 0, main = 0, dropped = 0;
            foreach (var ctx in dp.Contexts)
            {
                ref var c0 = ref ctx.IfCounters[tap0.SwIfIndex];
                ref var c1 = ref ctx.IfCounters[tap1.SwIfIndex];
                ref var c2 = ref ctx.IfCounters[tap2.SwIfIndex];
                r0 += c0.RxPackets;
                r1 += c1.RxPackets;
                t2 += c2.TxPackets;
                dropped += c2.TxErrors + c2.TxQueueFull;
                if (ctx == dp.Main)
                {
                    main += c0.RxPackets + c1.RxPackets + c2.RxPackets;
                }
            }

            return (r0, r1, t2, main, tap0.Worker!.Context.IfCounters[tap2.SwIfIndex].TxPackets,
                tap1.Worker!.Context.IfCounters[tap2.SwIfIndex].TxPackets, dropped);
        });
        Assert.Equal(0, mainRx);
        Assert.Equal(0, drops);
        Assert.True(rx0 >= PerFlow && rx0 < PerFlow + 20, $"tap0 rx {rx0}");
        Assert.True(rx1 >= PerFlow && rx1 < PerFlow + 20, $"tap1 rx {rx1}");
        // Both workers wrote into tap2 (each its own flow), and the sum is what pod C got (plus ARP and the like).
        Assert.True(w0Tx2 >= PerFlow && w1Tx2 >= PerFlow, $"tap2 tx per worker {w0Tx2} / {w1Tx2}");
        Assert.True(tx2 >= 2 * PerFlow && tx2 < (2 * PerFlow) + 20, $"tap2 tx {tx2}");
        Assert.Equal(w0Tx2 + w1Tx2, tx2);
        var shown = cli.Execute("show interface tap2").Output;
        Assert.Contains($"tx packets {tx2}", System.Text.RegularExpressions.Regex.Replace(shown, @"\s+", " "), StringComparison.Ordinal);
        Assert.Equal(idle, dp.BuffersInUse());
    }
}
