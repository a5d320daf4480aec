namespace Contiv.Store;

/// <summary>
/// A lease kept alive in the background (refreshed every third of its TTL, retried across
/// reconnects). Disposing stops the keep-alive and revokes the lease, deleting its keys.
/// <see cref="Lost"/> fires when etcd reports the lease gone (expired while unreachable, or revoked elsewhere).
/// </summary>
public sealed class StoreLease : IAsyncDisposable
{
    private readonly IEtcdBroker _broker;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly Task _keepAlive;
    private int _disposed;

    internal StoreLease(IEtcdBroker broker, long id, TimeSpan ttl, Action<long, Exception> onKeepAliveError)
    {
        _broker = broker;
        Id = id;
        Ttl = ttl;
        _keepAlive = Task.Run(() => KeepAliveLoopAsync(onKeepAliveError));
    }

    /// <summary>The lease id (pass it to puts to attach keys).</summary>
    public long Id { get; }

    /// <summary>The granted time-to-live.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Longest wait for etcd to revoke the lease on dispose: the TTL, between 1 and 5 s.</summary>
    internal TimeSpan RevokeTimeout => TimeSpan.FromTicks(Math.Clamp(Ttl.Ticks, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(5).Ticks));

    /// <summary>Cancelled when the lease is known to be gone.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>True once the lease is known to be gone.</summary>
    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Stops the keep-alive and revokes the lease.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _keepAlive;
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            if (!IsLost)
            {
                // Best effort, and bounded: waiting longer than the TTL for etcd buys nothing (the lease
                // expires by then), and a process stopping must not hang for the broker's whole retry
                // timeout (30 s by default) on an etcd that just restarted.
                using var bound = new CancellationTokenSource(RevokeTimeout);
                await _broker.RevokeLeaseAsync(Id, bound.Token);
            }
        }
        catch (Exception e) when (e is StoreException or ObjectDisposedException or OperationCanceledException)
        {
            // etcd unreachable, broker gone or too slow: the lease expires on its own after its TTL.
        }
        finally
        {
            _stop.Dispose();
            _lost.Dispose();
        }
    }

    private async Task KeepAliveLoopAsync(Action<long, Exception> onError)
    {
        var period = TimeSpan.FromTicks(Math.Max(Ttl.Ticks / 3, TimeSpan.FromMilliseconds(200).Ticks));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, _stop.Token);
                await _broker.KeepAliveOnceAsync(Id, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (LeaseExpiredException e)
            {
                onError(Id, e);
                await _lost.CancelAsync();
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the broker is gone; the lease expires on its own
            }
            catch (StoreException e)
            {
                // Unreachable for longer than the retry timeout: keep trying; the lease may still live.
                onError(Id, e);
            }
        }
    }
}
