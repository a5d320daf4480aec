using Contiv.Testing;

namespace Contiv.Store.Tests;

[Collection(EtcdCollection.Name)]
public sealed class LeaseTests(EtcdFixture etcd) : IAsyncLifetime
{
    private readonly string _p = EtcdFixture.UniquePrefix();
    private EtcdBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Key_on_an_expired_lease_disappears_and_the_watch_sees_the_delete()
    {
        var lease = await _broker.GrantLeaseAsync(TimeSpan.FromSeconds(1));
        var from = await _broker.PutAsync(_p + "lease/k", "v", lease);
        Assert.Equal(lease, (await _broker.GetAsync(_p + "lease/k"))!.LeaseId);

        var seen = await TestBrokers.CollectAsync(_broker.WatchAsync(_p + "lease/", from + 1),
            s => s.Any(e => e.Kind == StoreEventKind.Delete), TimeSpan.FromSeconds(10));
        var delete = Assert.Single(seen);
        Assert.Equal(StoreEventKind.Delete, delete.Kind);
        Assert.Equal("v", delete.Previous!.Value);
        Assert.Null(await _broker.GetAsync(_p + "lease/k"));
        await Assert.ThrowsAsync<LeaseExpiredException>(() => _broker.KeepAliveOnceAsync(lease));
    }

    [Fact]
    public async Task Acquired_lease_is_kept_alive_past_its_ttl_and_revoked_on_dispose()
    {
        string key = _p + "alive";
        var lease = await _broker.AcquireLeaseAsync(TimeSpan.FromSeconds(1));
        await using (lease)
        {
            await _broker.PutAsync(key, "here", lease.Id);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.Equal("here", (await _broker.GetAsync(key))?.Value);
            Assert.False(lease.IsLost);
            Assert.True(await _broker.KeepAliveOnceAsync(lease.Id) > TimeSpan.Zero);
        }

        Assert.Null(await _broker.GetAsync(key));
    }

    [Fact]
    public async Task Lease_revoked_elsewhere_is_reported_lost()
    {
        var lease = await _broker.AcquireLeaseAsync(TimeSpan.FromSeconds(1));
        await using (lease)
        {
            await _broker.PutAsync(_p + "l", "x", lease.Id);
            await _broker.RevokeLeaseAsync(lease.Id);
            Assert.Null(await _broker.GetAsync(_p + "l"));
            var lost = new TaskCompletionSource();
            using var reg = lease.Lost.Register(lost.SetResult);
            await lost.Task.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(lease.IsLost);
        }

        await _broker.RevokeLeaseAsync(lease.Id); // idempotent
    }

    [Fact]
    public async Task Lease_ttl_below_one_second_is_rejected()
        => await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _broker.GrantLeaseAsync(TimeSpan.Zero));
}

/// <summary>Leases across an etcd restart (own etcd).</summary>
public sealed class LeaseRestartTests
{
    [Fact]
    public async Task Disposing_a_lease_while_etcd_is_down_gives_up_revoking_after_the_ttl_not_the_retry_timeout()
    {
        // A KSR or agent stopping right after etcd went away must not hang for the broker's retry timeout.
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl, o => o with { RetryTimeout = TimeSpan.FromSeconds(60) });
        var lease = await broker.AcquireLeaseAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(2), lease.RevokeTimeout);
        await etcd.KillAsync();
        var took = System.Diagnostics.Stopwatch.StartNew();
        await lease.DisposeAsync();
        Assert.InRange(took.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Kept_alive_lease_and_its_key_survive_an_etcd_kill_and_restart()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        await using var lease = await broker.AcquireLeaseAsync(TimeSpan.FromSeconds(2));
        await broker.PutAsync("/node/1/alive", "yes", lease.Id);

        await etcd.KillAsync();
        await Task.Delay(1000);
        await etcd.StartAgainAsync();
        await Task.Delay(TimeSpan.FromSeconds(3)); // longer than the TTL: only keep-alives keep it

        Assert.False(lease.IsLost);
        Assert.Equal("yes", (await broker.GetAsync("/node/1/alive"))?.Value);
    }
}
