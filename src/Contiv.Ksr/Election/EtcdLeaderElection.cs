using System.Globalization;
using Contiv.Store;
using Microsoft.Extensions.Logging;

namespace Contiv.Ksr.Election;

/// <summary>
/// Leader election over etcd, in the same key layout as etcd's <c>concurrency.Election</c> (which
/// Contiv's KSR used on <c>/contiv-ksr/election</c>): every candidate creates
/// <c>{prefix}/{leaseID in hex}</c> attached to its own lease; the candidate whose key has the
/// lowest create revision leads; the others wait for the key just before theirs to disappear.
/// A leader that loses its lease (etcd unreachable longer than the TTL) steps down and campaigns again.
/// </summary>
internal sealed partial class EtcdLeaderElection
{
    private readonly IEtcdBroker _store;
    private readonly string _prefix;
    private readonly string _identity;
    private readonly TimeSpan _ttl;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private volatile bool _isLeader;

    /// <summary>Creates the election.</summary>
    /// <param name="store">etcd.</param>
    /// <param name="prefix">Election prefix, e.g. <c>/contiv-ksr/election</c> (a trailing '/' is added).</param>
    /// <param name="identity">Value of this candidate's key (host name, pid) for operators.</param>
    /// <param name="ttl">Lease time-to-live: how long a dead leader blocks the others.</param>
    /// <param name="log">Logger.</param>
    /// <param name="time">Clock of the back-off between campaigns (null: the system clock).</param>
    public EtcdLeaderElection(IEtcdBroker store, string prefix, string identity, TimeSpan ttl, ILogger log, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _store = store;
        _prefix = prefix.TrimEnd('/') + "/";
        _identity = identity;
        _ttl = ttl;
        _log = log;
    }

    /// <summary>Raised with true when this candidate became leader and false when it stopped leading.</summary>
    public event Action<bool>? LeadershipChanged;

    /// <summary>True while this candidate leads.</summary>
    public bool IsLeader => _isLeader;

    /// <summary>This candidate's key while it campaigns or leads.</summary>
    public string? CandidateKey { get; private set; }

    /// <summary>Campaigns, leads until the lease is lost, and campaigns again, until cancelled (then resigns).</summary>
    /// <param name="ct">Stops the election; the candidate key is deleted with the lease.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!ct.IsCancellationRequested)
        {
            StoreLease? lease = null;
            try
            {
                await _store.WaitConnectedAsync(ct).ConfigureAwait(false);
                lease = await _store.AcquireLeaseAsync(_ttl, ct).ConfigureAwait(false);
                using var session = CancellationTokenSource.CreateLinkedTokenSource(ct, lease.Lost);
                var key = _prefix + lease.Id.ToString("x", CultureInfo.InvariantCulture);
                CandidateKey = key;
                var created = await _store.PutIfAbsentAsync(key, _identity, lease.Id, session.Token).ConfigureAwait(false);
                var myRevision = created.Succeeded ? created.Revision : created.Current?.CreateRevision ?? 0;
                await WaitForTurnAsync(key, myRevision, session.Token).ConfigureAwait(false);

                SetLeader(true);
                LogElected(_log, key, _identity);
                backoff = TimeSpan.FromMilliseconds(200);
                await WaitUntilKeyGoneAsync(key, session.Token).ConfigureAwait(false);
                LogLostLeadership(_log, key, lease.IsLost ? "lease expired" : "candidate key deleted");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // shutting down
            }
            catch (OperationCanceledException) when (lease?.IsLost == true)
            {
                LogLostLeadership(_log, CandidateKey ?? _prefix, "lease expired");
            }
            catch (Exception e) when (e is StoreException or OperationCanceledException)
            {
                LogCampaignFailed(_log, _prefix, backoff.TotalMilliseconds, e.Message);
                await Task.Delay(backoff, _time, ct).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                backoff = backoff * 2 > TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(2) : backoff * 2;
            }
            finally
            {
                SetLeader(false);
                CandidateKey = null;
                if (lease is not null)
                {
                    await lease.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    // Waits until no candidate key with a lower create revision exists.
    private async Task WaitForTurnAsync(string myKey, long myRevision, CancellationToken ct)
    {
        while (true)
        {
            var snapshot = await _store.SnapshotAsync(_prefix, ct).ConfigureAwait(false);
            var mine = snapshot.Items.FirstOrDefault(kv => kv.Key == myKey);
            if (mine is null)
            {
                throw new StoreException($"election: candidate key {myKey} vanished while campaigning");
            }

            var before = snapshot.Items
                .Where(kv => kv.CreateRevision < mine.CreateRevision)
                .OrderByDescending(kv => kv.CreateRevision)
                .FirstOrDefault();
            if (before is null)
            {
                return;
            }

            LogWaiting(_log, myKey, before.Key, before.Value);
            await WaitUntilKeyGoneAsync(before.Key, ct, snapshot.Revision + 1).ConfigureAwait(false);
        }
    }

    private async Task WaitUntilKeyGoneAsync(string key, CancellationToken ct, long fromRevision = 0)
    {
        if (fromRevision == 0)
        {
            var current = await _store.GetAsync(key, ct).ConfigureAwait(false);
            if (current is null)
            {
                return;
            }

            fromRevision = current.ModRevision + 1;
        }

        try
        {
            await foreach (var change in _store.WatchAsync(key, fromRevision, ct).ConfigureAwait(false))
            {
                if (change.Kind == StoreEventKind.Delete && change.Key == key)
                {
                    return;
                }
            }
        }
        catch (WatchCompactedException)
        {
            // History gone: fall back to reading the key.
            if (await _store.GetAsync(key, ct).ConfigureAwait(false) is null)
            {
                return;
            }

            await WaitUntilKeyGoneAsync(key, ct).ConfigureAwait(false);
        }
    }

    private void SetLeader(bool leader)
    {
        if (_isLeader == leader)
        {
            return;
        }

        _isLeader = leader;
        LeadershipChanged?.Invoke(leader);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "leader election: {Key} ({Identity}) is the leader")]
    private static partial void LogElected(ILogger log, string key, string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "leader election: {Key} waits for {Before} ({Holder}) to go away")]
    private static partial void LogWaiting(ILogger log, string key, string before, string holder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "leader election: {Key} stopped leading ({Reason})")]
    private static partial void LogLostLeadership(ILogger log, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "leader election on {Prefix} failed; campaigning again in {DelayMs} ms: {Reason}")]
    private static partial void LogCampaignFailed(ILogger log, string prefix, double delayMs, string reason);
}
