using Contiv.Agent.Services;
using Contiv.Model.Vpp;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace Contiv.Agent.Tests.Services;

/// <summary>Idle NAT session cleanup (SPEC §3.2) against a fake session table: what is deleted, and the five gauges.</summary>
public sealed class NatSessionCleanupTests : IDisposable
{
    private readonly FakeSessions _sessions = new();
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly FakeTimeProvider _time = new();
    private readonly NatSessionCleanup _cleanup;

    public NatSessionCleanupTests()
    {
        // Shipped defaults: TCP 180 min, others 5 min.
        _cleanup = new NatSessionCleanup(_sessions, new ServiceConfig(), _registry, NullLogger.Instance, _time);
        _sessions.Table.AddRange(
        [
            Session(Nat44Protocol.Tcp, "10.1.1.2", 181 * 60),    // idle past the TCP timeout: deleted
            Session(Nat44Protocol.Tcp, "10.1.1.3", 179 * 60),    // TCP, idle less than 3 h: kept
            Session(Nat44Protocol.Tcp, "10.1.1.4", 10),          // busy
            Session(Nat44Protocol.Udp, "10.1.1.5", 6 * 60),      // idle past the other timeout: deleted
            Session(Nat44Protocol.Icmp, "10.1.1.6", 5 * 60 + 1), // deleted
            Session(Nat44Protocol.Udp, "10.1.1.7", 4 * 60),      // kept
        ]);
    }

    public void Dispose() => _cleanup.Dispose();

    private static Nat44Session Session(Nat44Protocol protocol, string inside, ulong idleSeconds) => new()
    {
        Protocol = protocol,
        InsideIp = inside,
        InsidePort = 8080,
        OutsideIp = "10.96.0.10",
        OutsidePort = 80,
        ExtHostIp = "10.1.2.9",
        ExtHostPort = 40000,
        IdleSeconds = idleSeconds,
    };

    [Fact]
    public async Task Sessions_idle_past_their_protocols_timeout_are_deleted_and_counted()
    {
        Assert.True(await _cleanup.RunOnceAsync());

        Assert.Equal(300u, _sessions.Requests.Single().MinIdleSeconds); // the shorter timeout: only candidates travel
        Assert.Equal(["10.1.1.2"], _sessions.Deleted[0].Select(s => s.InsideIp));
        Assert.Equal(["10.1.1.5", "10.1.1.6"], _sessions.Deleted[1].Select(s => s.InsideIp));
        Assert.Equal(3, _cleanup.TcpSessions.Value);
        Assert.Equal(3, _cleanup.OtherSessions.Value);
        Assert.Equal(1, _cleanup.DeletedTcpSessions.Value);
        Assert.Equal(2, _cleanup.DeletedOtherSessions.Value);
        Assert.Equal(0, _cleanup.DeleteErrors.Value);
        Assert.Equal(["10.1.1.3", "10.1.1.4", "10.1.1.7"], _sessions.Table.Select(s => s.InsideIp));
    }

    [Fact]
    public async Task Deleted_counts_and_errors_accumulate_across_runs_and_reach_the_metrics_endpoint()
    {
        _sessions.FailInside.Add("10.1.1.6");
        await _cleanup.RunOnceAsync();
        _sessions.Table.Add(Session(Nat44Protocol.Tcp, "10.1.1.8", 200 * 60));
        await _cleanup.RunOnceAsync();

        Assert.Equal(2, _cleanup.DeletedTcpSessions.Value);
        Assert.Equal(1, _cleanup.DeletedOtherSessions.Value);
        Assert.Equal(2, _cleanup.DeleteErrors.Value); // 10.1.1.6 failed in both runs

        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        var exported = System.Text.Encoding.UTF8.GetString(text.ToArray());
        foreach (var line in new[] { "tcpNatSessions 3", "otherNatSessions 2", "deletedTCPNatSessions 2", "deletedOtherNatSessions 1", "natSessionDeleteErrors 2" })
        {
            Assert.Contains(line, exported, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_cleanup_runs_every_other_session_timeout_and_not_at_all_when_disabled()
    {
        _cleanup.Start();
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Empty(_sessions.Requests);
        _time.Advance(TimeSpan.FromMinutes(1));
        await WaitForAsync(() => _sessions.Requests.Count == 1 && _sessions.Deleted.Count == 2);
        _time.Advance(TimeSpan.FromMinutes(5));
        await WaitForAsync(() => _sessions.Requests.Count == 2);

        using var off = new NatSessionCleanup(_sessions, new ServiceConfig { CleanupIdleNatSessions = false }, Metrics.NewCustomRegistry(), NullLogger.Instance, _time);
        off.Start();
        _time.Advance(TimeSpan.FromMinutes(30));
        await WaitForAsync(() => _sessions.Requests.Count == 8); // only the first cleanup's 6 more runs
        Assert.Equal(8, _sessions.Requests.Count);
    }

    [Fact]
    public async Task A_data_plane_without_the_session_api_leaves_the_gauges_alone()
    {
        _sessions.Unimplemented = true;

        Assert.False(await _cleanup.RunOnceAsync());
        Assert.False(await _cleanup.RunOnceAsync());

        Assert.Equal(0, _cleanup.TcpSessions.Value);
        Assert.Equal(0, _cleanup.DeletedTcpSessions.Value);
        Assert.Equal(0, _cleanup.DeleteErrors.Value);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    /// <summary>A session table with the data plane's dump filter and delete-by-5-tuple semantics.</summary>
    private sealed class FakeSessions : INat44Sessions
    {
        public List<Nat44Session> Table { get; } = [];

        public List<Nat44SessionDumpRequest> Requests { get; } = [];

        public List<List<Nat44Session>> Deleted { get; } = [];

        public HashSet<string> FailInside { get; } = [];

        public bool Unimplemented { get; set; }

        public Task<Nat44SessionDumpReply> DumpAsync(Nat44SessionDumpRequest request, CancellationToken ct)
        {
            if (Unimplemented)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "Service is unimplemented."));
            }

            lock (Table)
            {
                Requests.Add(request);
                var reply = new Nat44SessionDumpReply
                {
                    TcpSessions = (ulong)Table.Count(s => s.Protocol == Nat44Protocol.Tcp),
                    OtherSessions = (ulong)Table.Count(s => s.Protocol != Nat44Protocol.Tcp),
                };
                reply.Sessions.AddRange(Table.Where(s => s.IdleSeconds >= request.MinIdleSeconds).Select(s => s.Clone()));
                return Task.FromResult(reply);
            }
        }

        public Task<Nat44SessionDeleteReply> DeleteAsync(Nat44SessionDeleteRequest request, CancellationToken ct)
        {
            lock (Table)
            {
                Deleted.Add([.. request.Sessions]);
                var reply = new Nat44SessionDeleteReply();
                foreach (var s in request.Sessions)
                {
                    if (FailInside.Contains(s.InsideIp))
                    {
                        reply.Errors.Add($"session {s.InsideIp}: injected failure");
                    }
                    else if (Table.RemoveAll(t => t.Protocol == s.Protocol && t.OutsideIp == s.OutsideIp && t.OutsidePort == s.OutsidePort
                                 && t.ExtHostIp == s.ExtHostIp && t.ExtHostPort == s.ExtHostPort && t.InsideIp == s.InsideIp) > 0)
                    {
                        reply.Deleted++;
                    }
                    else
                    {
                        reply.NotFound++;
                    }
                }

                return Task.FromResult(reply);
            }
        }
    }
}
