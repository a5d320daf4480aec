using Contiv.Model.Vpp;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Contiv.Agent.Services;

/// <summary>
/// Idle NAT session cleanup (SPEC §3.2, <c>cleanupIdleNATSessions</c>): every <c>otherNATSessionTimeout</c> minutes
/// dumps the data plane's idle NAT44 sessions and deletes TCP sessions idle longer than <c>tcpNATSessionTimeout</c>
/// and other sessions idle longer than <c>otherNATSessionTimeout</c>. Sessions of backends that vanished without a
/// FIN would otherwise hold table space until the data plane's own (long) TCP timeout. Exports the gauges
/// <c>tcpNatSessions</c>, <c>otherNatSessions</c> (current totals) and <c>deletedTCPNatSessions</c>,
/// <c>deletedOtherNatSessions</c>, <c>natSessionDeleteErrors</c> (running totals since the agent started).
/// Runs on a timer of its own, off the event loop: it only talks to the data plane.
/// </summary>
internal sealed class NatSessionCleanup : IDisposable
{
    private readonly INat44Sessions _sessions;
    private readonly ServiceConfig _config;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private System.Threading.ITimer? _timer;
    private int _running;
    private bool _unsupportedLogged;
    private long _deletedTcp;
    private long _deletedOther;
    private long _deleteErrors;

    /// <summary>Creates the cleanup and registers its gauges in <paramref name="registry"/>; <see cref="Start"/> starts the timer.</summary>
    public NatSessionCleanup(INat44Sessions sessions, ServiceConfig config, CollectorRegistry registry, ILogger log, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(log);
        _sessions = sessions;
        _config = config;
        _log = log;
        _time = time ?? TimeProvider.System;
        var factory = Metrics.WithCustomRegistry(registry);
        TcpSessions = factory.CreateGauge("tcpNatSessions", "NAT44 TCP sessions in the data plane");
        OtherSessions = factory.CreateGauge("otherNatSessions", "NAT44 UDP and ICMP sessions in the data plane");
        DeletedTcpSessions = factory.CreateGauge("deletedTCPNatSessions", "idle NAT44 TCP sessions deleted by the agent since it started");
        DeletedOtherSessions = factory.CreateGauge("deletedOtherNatSessions", "idle NAT44 UDP and ICMP sessions deleted by the agent since it started");
        DeleteErrors = factory.CreateGauge("natSessionDeleteErrors", "idle NAT44 sessions the agent failed to delete since it started");
    }

    /// <summary>Time between two cleanups: the UDP/ICMP idle timeout (at least a minute).</summary>
    public TimeSpan Period => TimeSpan.FromMinutes(Math.Max(1u, _config.OtherNatSessionTimeout));

    internal Gauge TcpSessions { get; }

    internal Gauge OtherSessions { get; }

    internal Gauge DeletedTcpSessions { get; }

    internal Gauge DeletedOtherSessions { get; }

    internal Gauge DeleteErrors { get; }

    /// <summary>Starts the periodic cleanup (nothing when <c>cleanupIdleNATSessions</c> is off).</summary>
    public void Start()
    {
        if (!_config.CleanupIdleNatSessions || _timer is not null)
        {
            return;
        }

        _timer = _time.CreateTimer(_ => _ = RunGuardedAsync(), null, Period, Period);
    }

    /// <summary>Stops the timer; a cleanup in progress finishes on its own.</summary>
    public void Dispose() => _timer?.Dispose();

    /// <summary>
    /// One cleanup: dump, update the session gauges, delete the idle sessions (TCP and others in separate requests, so
    /// the deleted counts stay apart). Returns false when the data plane could not be asked.
    /// </summary>
    internal async Task<bool> RunOnceAsync(CancellationToken ct = default)
    {
        var tcpIdle = (ulong)_config.TcpNatSessionTimeout * 60;
        var otherIdle = (ulong)_config.OtherNatSessionTimeout * 60;
        Nat44SessionDumpReply dump;
        try
        {
            dump = await _sessions.DumpAsync(new Nat44SessionDumpRequest { MinIdleSeconds = (uint)Math.Min(Math.Min(tcpIdle, otherIdle), uint.MaxValue) }, ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            if (!_unsupportedLogged)
            {
                _log.LogInformation("idle NAT session cleanup: the data plane has no NAT44 session API ({Detail})", e.Status.Detail);
                _unsupportedLogged = true;
            }

            return false;
        }
        catch (RpcException e)
        {
            _log.LogWarning("idle NAT session cleanup: dumping sessions failed: {Detail}", e.Status.Detail);
            return false;
        }

        TcpSessions.Set(dump.TcpSessions);
        OtherSessions.Set(dump.OtherSessions);
        var tcp = new Nat44SessionDeleteRequest();
        var other = new Nat44SessionDeleteRequest();
        foreach (var s in dump.Sessions)
        {
            if (s.Protocol == Nat44Protocol.Tcp)
            {
                if (s.IdleSeconds > tcpIdle)
                {
                    tcp.Sessions.Add(s);
                }
            }
            else if (s.IdleSeconds > otherIdle)
            {
                other.Sessions.Add(s);
            }
        }

        _deletedTcp += await DeleteAsync(tcp, "TCP", ct).ConfigureAwait(false);
        _deletedOther += await DeleteAsync(other, "UDP/ICMP", ct).ConfigureAwait(false);
        DeletedTcpSessions.Set(_deletedTcp);
        DeletedOtherSessions.Set(_deletedOther);
        DeleteErrors.Set(_deleteErrors);
        return true;
    }

    private async Task<long> DeleteAsync(Nat44SessionDeleteRequest request, string kind, CancellationToken ct)
    {
        if (request.Sessions.Count == 0)
        {
            return 0;
        }

        try
        {
            var reply = await _sessions.DeleteAsync(request, ct).ConfigureAwait(false);
            _deleteErrors += reply.Errors.Count;
            foreach (var error in reply.Errors.Take(3))
            {
                _log.LogWarning("idle NAT session cleanup: deleting a {Kind} session failed: {Error}", kind, error);
            }

            _log.LogDebug("idle NAT session cleanup: {Deleted} idle {Kind} sessions deleted, {NotFound} already gone", reply.Deleted, kind, reply.NotFound);
            return reply.Deleted;
        }
        catch (RpcException e)
        {
            _deleteErrors += request.Sessions.Count;
            _log.LogWarning("idle NAT session cleanup: deleting {Count} idle {Kind} sessions failed: {Detail}", request.Sessions.Count, kind, e.Status.Detail);
            return 0;
        }
    }

    private async Task RunGuardedAsync()
    {
        // A slow data plane must not stack cleanups up.
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        try
        {
            await RunOnceAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogWarning(e, "idle NAT session cleanup failed");
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
