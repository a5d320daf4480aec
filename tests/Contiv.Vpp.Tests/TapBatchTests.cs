using Contiv.Testing;
using Contiv.Vpp.Cli;

namespace Contiv.Vpp.Tests;

/// <summary>
/// Issue 21: TAP writes queued on the worker's io_uring and submitted once per pass. Real TAPs in real
/// pod namespaces, in process: traffic in both directions arrives whole and in order, counters match,
/// and every buffer comes back (the completions free them); the same with batching turned off.
/// </summary>
public sealed class TapBatchTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [RootTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Flood_ping_between_tap_pods_is_answered_in_full_and_every_buffer_comes_back(bool batchTx)
    {
        var a = _scope.Create("tba");
        var b = _scope.Create("tbb");
        using var dp = new Dataplane(new DataplaneOptions { Workers = 1, BatchTx = batchTx, Buffers = 4096 });
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
        Assert.Equal(batchTx, dp.Contexts.Single(c => c.Index == 1).BatchesTx);
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
    }
}
