using Contiv.Testing;

namespace Contiv.Store.Tests;

/// <summary>
/// Writes whose answer is lost on the way back (etcd applied them, the client saw a broken
/// connection): conditional writes must recognise their own earlier write, transactions must say
/// they may have been applied. Each test owns its etcd and a <see cref="LossyProxy"/>.
/// </summary>
public sealed class LostAnswerTests
{
    private static Task<EtcdBroker> ConnectThroughAsync(LossyProxy proxy)
        => TestBrokers.ConnectAsync(proxy.Url, o => o with { HealthInterval = TimeSpan.FromHours(1), RequestTimeout = TimeSpan.FromSeconds(2) });

    [Fact]
    public async Task Put_if_absent_whose_answer_was_lost_reports_its_own_win()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var proxy = new LossyProxy(etcd.ClientUrl);
        await using var broker = await ConnectThroughAsync(proxy);

        var lose = proxy.LoseNextAnswerAsync(TimeSpan.FromMilliseconds(300));
        var result = await broker.PutIfAbsentAsync("/lost/k", "mine");
        await lose;

        Assert.True(result.Succeeded, $"current: {result.Current}");
        var stored = await etcd.GetAsync("/lost/k");
        Assert.Equal("mine", stored);
        Assert.Equal(1, (await broker.GetAsync("/lost/k"))!.Version); // written once, not twice
    }

    [Fact]
    public async Task Put_if_absent_whose_answer_was_lost_still_loses_to_another_value()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var proxy = new LossyProxy(etcd.ClientUrl);
        await using var broker = await ConnectThroughAsync(proxy);
        await etcd.PutAsync("/lost/k", "theirs");

        var lose = proxy.LoseNextAnswerAsync(TimeSpan.FromMilliseconds(300));
        var result = await broker.PutIfAbsentAsync("/lost/k", "mine");
        await lose;

        Assert.False(result.Succeeded);
        Assert.Equal("theirs", result.Current!.Value);
    }

    [Fact]
    public async Task Transaction_whose_answer_was_lost_reports_it_may_have_been_applied()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var proxy = new LossyProxy(etcd.ClientUrl);
        await using var broker = await ConnectThroughAsync(proxy);

        var lose = proxy.LoseNextAnswerAsync(TimeSpan.FromMilliseconds(300));
        var ex = await Assert.ThrowsAsync<StoreUnavailableException>(() => broker.TxnAsync([TxnCompare.Absent("/lost/t")], [TxnOp.Put("/lost/t", "1")]));
        await lose;

        Assert.True(ex.MayHaveBeenApplied);
        Assert.Equal("1", await etcd.GetAsync("/lost/t")); // it was
    }
}
