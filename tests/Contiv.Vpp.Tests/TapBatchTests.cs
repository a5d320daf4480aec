using Contiv.Testing;
using Contiv.Vpp.Cli;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Issue 21: TAP writes queued on the worker's io_uring and submitted once per pass, TAP reads issued
/// several per system call on the same ring. Real TAPs in real pod namespaces, in process: traffic in
/// both directions arrives whole and in order, counters match, and every buffer comes back (the
/// completions free them); the same with batching turned off.
/// </summary>
public sealed class TapBatchTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootTheory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Flood_ping_between_tap_pods_is_answered_in_full_and_every_buffer_comes_back(bool batchTx, bool batchRx)
    {
        var a = _scope.Create("tba");
        var b = _scope.Create("tbb");
        using var dp = new Dataplane(new DataplaneOptions { Workers = 1, BatchTx = batchTx, BatchRx = batchRx, Buffers = 4096 });
        dp.Start();
        var cli = new CliEngine(dp);
        void Run(string c)
        {
            var r = cli.Execute(c);
            Assert.False(r.Error, $"`{c}` failed: {r.Output}");
        }

        Run("ip table add 1");
        Run($"create tap id 0 host-if-name eth0 host-ns {a} host-ip4-addr 10.1.1.2/24 host-ip4-gw 10.1.1.1");
        Run($"create tap id 1 host-if-name eth0 host-ns {b} host-ip4-addr 10.1.2.2/24 host-ip4-gw 10.1.2.1");
        Run("set interface ip table tap0 1");
        Run("set interface ip table tap1 1");
        Run("set interface ip address tap0 10.1.1.1/24");
        Run("set interface ip address tap1 10.1.2.1/24");
        Run("set interface state tap0 up");
        Run("set interface state tap1 up");
        var worker = dp.Contexts.Single(c => c.Index == 1);
        Assert.Equal(batchTx, worker.BatchesTx);
        Assert.Equal(batchRx, worker.BatchesRx);
        Assert.True(NetnsScope.Ping(a, "10.1.2.2", count: 1, waitSeconds: 3), "pod A -> pod B");

        Run("clear interfaces");
        // Each TAP keeps one spare buffer for its next read; anything beyond that after the flood is a leak.
        var idle = dp.BuffersInUse();
        Assert.True(idle <= 2, $"buffers in use before the flood: {idle}");
        // 2 000 echo requests back to back (-f: the next one as soon as the reply arrives, or 100 per s),
        // with a payload so a truncated or mixed-up write would show as a bad reply.
        var ping = Shell.Run("ip", ["netns", "exec", a, "ping", "-f", "-c", "2000", "-s", "1000", "-p", "c0ffee", "-W", "2", "10.1.2.2"], timeout: TimeSpan.FromSeconds(60));
        ping.EnsureSuccess("flood ping");
        Assert.Contains("2000 packets transmitted, 2000 received", ping.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong data", ping.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("DUP", ping.StdOut, StringComparison.Ordinal);

        var tap1 = dp.FindInterface("tap1")!;
        var tap0 = dp.FindInterface("tap0")!;
        long tx1 = 0, tx0 = 0, err = 0;
        dp.Exclusive(() =>
        {
            foreach (var c in dp.Contexts)
            {
                if (c.IfCounters.Length > Math.Max(tap0.SwIfIndex, tap1.SwIfIndex))
                {
                    tx1 += c.IfCounters[tap1.SwIfIndex].TxPackets;
                    tx0 += c.IfCounters[tap0.SwIfIndex].TxPackets;
                    err += c.IfCounters[tap1.SwIfIndex].TxErrors + c.IfCounters[tap0.SwIfIndex].TxErrors
                        + c.IfCounters[tap1.SwIfIndex].TxQueueFull + c.IfCounters[tap0.SwIfIndex].TxQueueFull;
                }
            }
        });
        Assert.True(tx1 >= 2000, $"tap1 tx {tx1}");
        Assert.True(tx0 >= 2000, $"tap0 tx {tx0}");
        Assert.Equal(0, err);
        Assert.Equal(idle, dp.BuffersInUse());
        var (calls, reads) = dp.Exclusive(() => (worker.RxBatchCalls, worker.RxBatchReads));
        if (batchRx)
        {
            // Every frame of both pods came in through batched reads (≥ 4 000 frames; each call also
            // carries the read that finds the queue empty, so at least two reads per call).
            Assert.True(calls > 0 && reads >= 4000 && reads >= 2 * calls, $"{calls} calls, {reads} reads");
        }
        else
        {
            Assert.Equal(0, calls);
        }
    }

    /// <summary>
    /// A burst queued in a TAP while the worker is held at the barrier is taken in growing batches
    /// (2, 4, 8, 16, 32 reads per system call), not one read each: 64 datagrams need at most 6 calls,
    /// and all of them reach the other pod in order of arrival, with every buffer back afterwards.
    /// </summary>
    [RootFact]
    public void A_burst_queued_in_a_tap_is_read_in_growing_batches_and_forwarded_whole()
    {
        var a = _scope.Create("tbc");
        var b = _scope.Create("tbd");
        using var dp = new Dataplane(new DataplaneOptions { Workers = 1, BatchRx = true, Buffers = 4096 });
        dp.Start();
        var cli = new CliEngine(dp);
        void Run(string c)
        {
            var r = cli.Execute(c);
            Assert.False(r.Error, $"`{c}` failed: {r.Output}");
        }

        Run("ip table add 1");
        Run($"create tap id 0 host-if-name eth0 host-ns {a} host-ip4-addr 10.1.1.2/24 host-ip4-gw 10.1.1.1");
        Run($"create tap id 1 host-if-name eth0 host-ns {b} host-ip4-addr 10.1.2.2/24 host-ip4-gw 10.1.2.1");
        Run("set interface ip table tap0 1");
        Run("set interface ip table tap1 1");
        Run("set interface ip address tap0 10.1.1.1/24");
        Run("set interface ip address tap1 10.1.2.1/24");
        Run("set interface state tap0 up");
        Run("set interface state tap1 up");
        var worker = dp.Contexts.Single(c => c.Index == 1);
        Assert.True(worker.BatchesRx, "the worker reads in batches");
        Assert.True(NetnsScope.Ping(a, "10.1.2.2", count: 1, waitSeconds: 3), "pod A -> pod B");
        var tap0 = dp.FindInterface("tap0")!;
        var tap1 = dp.FindInterface("tap1")!;
        var idle = dp.BuffersInUse();
        // Pod B counts what arrives on its UDP port.
        var sink = Task.Run(() => Shell.Run("ip", ["netns", "exec", b, "python3", "-c",
            "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1<<20)\ns.bind(('10.1.2.2',7001))\ns.settimeout(3)\nseen=[]\ntry:\n  while len(seen)<64: seen.append(int(s.recv(100)))\nexcept socket.timeout: pass\nprint(' '.join(map(str,seen)))"],
            timeout: TimeSpan.FromSeconds(30)));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Shell.Run("ip", ["netns", "exec", b, "ss", "-Huln", "sport", "=", ":7001"]).StdOut.Contains("7001", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the UDP sink in pod B did not start");
            Thread.Sleep(50);
        }

        long calls0 = 0, reads0 = 0, rx0 = 0;
        dp.Exclusive(() =>
        {
            calls0 = worker.RxBatchCalls;
            reads0 = worker.RxBatchReads;
            rx0 = worker.IfCounters[tap0.SwIfIndex].RxPackets;
            // The worker is held: the 64 datagrams queue up in tap0 (txqueuelen 1000).
            Shell.Run("ip", ["netns", "exec", a, "python3", "-c",
                "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(64): s.sendto(str(i).encode(),('10.1.2.2',7001))"],
                timeout: TimeSpan.FromSeconds(20)).EnsureSuccess("udp burst");
        });
        var got = sink.GetAwaiter().GetResult().EnsureSuccess("udp sink").StdOut.Trim();
        Assert.Equal(string.Join(' ', Enumerable.Range(0, 64)), got);
        var (calls, reads, rx) = dp.Exclusive(() => (worker.RxBatchCalls - calls0, worker.RxBatchReads - reads0, worker.IfCounters[tap0.SwIfIndex].RxPackets - rx0));
        Assert.True(rx >= 64, $"tap0 rx {rx}");
        // 2+4+8+16+32 = 62 reads in 5 calls, then one more for the last frames and the empty queue
        // (plus a few for whatever else pod A sent, e.g. an ARP refresh).
        Assert.True(calls <= 8, $"{calls} calls for {rx} frames ({reads} reads)");
        Assert.True(reads >= rx, $"{reads} reads for {rx} frames");
        Assert.Equal(0, dp.Exclusive(() => worker.IfCounters[tap1.SwIfIndex].TxErrors));
        Assert.Equal(idle, dp.BuffersInUse());
    }
}
