using Contiv.Model;
using Contiv.Model.Ksr;
using Contiv.Testing;

namespace Contiv.Store.Tests;

[Collection(EtcdCollection.Name)]
public sealed class KvTests(EtcdFixture etcd) : IAsyncLifetime
{
    private readonly string _p = EtcdFixture.UniquePrefix();
    private EtcdBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Put_then_get_returns_value_and_revisions()
    {
        var rev1 = await _broker.PutAsync(_p + "a", "one");
        var rev2 = await _broker.PutAsync(_p + "a", "two");

        var kv = await _broker.GetAsync(_p + "a");
        Assert.NotNull(kv);
        Assert.Equal("two", kv.Value);
        Assert.Equal(rev1, kv.CreateRevision);
        Assert.Equal(rev2, kv.ModRevision);
        Assert.Equal(2, kv.Version);
        Assert.Null(await _broker.GetAsync(_p + "missing"));

        // Independent check through etcd's own gateway.
        Assert.Equal("two", await etcd.Server.GetAsync(_p + "a"));
    }

    [Fact]
    public async Task Delete_and_delete_prefix_remove_only_their_keys()
    {
        await _broker.PutAsync(_p + "x/1", "1");
        await _broker.PutAsync(_p + "x/2", "2");
        await _broker.PutAsync(_p + "x0", "sibling with a longer name");
        await _broker.PutAsync(_p + "y", "3");

        Assert.True(await _broker.DeleteAsync(_p + "y"));
        Assert.False(await _broker.DeleteAsync(_p + "y"));
        Assert.Equal(2, await _broker.DeletePrefixAsync(_p + "x/"));

        var left = await _broker.ListKeysAsync(_p).ToListAsync();
        Assert.Equal([_p + "x0"], left);
        await Assert.ThrowsAsync<ArgumentException>(() => _broker.DeletePrefixAsync(""));
    }

    [Fact]
    public async Task Listing_10000_keys_is_paged_complete_ordered_and_consistent()
    {
        const int n = 10_000;
        var names = Enumerable.Range(0, n).Select(i => $"{_p}k/{i:D5}").ToArray();

        // Load through transactions of 100 puts (etcd's default op limit is 128).
        foreach (var chunk in names.Chunk(100))
        {
            var r = await _broker.TxnAsync([], chunk.Select(k => TxnOp.Put(k, "v-" + k[^5..])).ToList());
            Assert.True(r.Succeeded);
        }

        // Concurrent writes under the prefix must not leak into a listing that already started.
        var small = await TestBrokers.ConnectAsync(etcd.ClientUrl, o => o with { ListPageSize = 700 });
        await using (small)
        {
            var listed = new List<KeyValue>();
            await foreach (var kv in small.ListAsync(_p + "k/"))
            {
                if (listed.Count == 1)
                {
                    await _broker.PutAsync(_p + "k/99999", "late");
                    await _broker.DeleteAsync(names[n - 1]);
                }

                listed.Add(kv);
            }

            Assert.Equal(n, listed.Count);
            Assert.Equal(names, listed.Select(kv => kv.Key));
            Assert.All(listed, kv => Assert.Equal("v-" + kv.Key[^5..], kv.Value));

            var keys = await small.ListKeysAsync(_p + "k/").ToListAsync();
            Assert.Equal(n, keys.Count); // one added, one deleted since
            Assert.Contains(_p + "k/99999", keys);
            Assert.DoesNotContain(names[n - 1], keys);

            var snap = await small.SnapshotAsync(_p + "k/");
            Assert.Equal(n, snap.Items.Count);
            Assert.Equal(await small.GetRevisionAsync(), snap.Revision);
        }
    }

    [Fact]
    public async Task Put_if_absent_race_between_two_clients_has_exactly_one_winner_per_key()
    {
        await using var a = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        await using var b = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        const int rounds = 200;
        using var go = new SemaphoreSlim(0);
        async Task<bool[]> Contend(EtcdBroker broker, string who)
        {
            await go.WaitAsync();
            var wins = new bool[rounds];
            for (var i = 0; i < rounds; i++)
            {
                wins[i] = (await broker.PutIfAbsentAsync($"{_p}race/{i}", who)).Succeeded;
            }

            return wins;
        }

        var ta = Task.Run(() => Contend(a, "a"));
        var tb = Task.Run(() => Contend(b, "b"));
        go.Release(2);
        var (winsA, winsB) = (await ta, await tb);

        for (var i = 0; i < rounds; i++)
        {
            Assert.True(winsA[i] ^ winsB[i], $"key {i}: a won={winsA[i]}, b won={winsB[i]}");
            var stored = await _broker.GetAsync($"{_p}race/{i}");
            Assert.Equal(winsA[i] ? "a" : "b", stored!.Value);
            Assert.Equal(1, stored.Version);
        }
    }

    [Fact]
    public async Task Put_if_absent_on_existing_key_reports_current_entry()
    {
        Assert.True((await _broker.PutIfAbsentAsync(_p + "k", "first")).Succeeded);
        var second = await _broker.PutIfAbsentAsync(_p + "k", "second");
        Assert.False(second.Succeeded);
        Assert.Equal("first", second.Current!.Value);
        Assert.Equal("first", (await _broker.GetAsync(_p + "k"))!.Value);
    }

    [Fact]
    public async Task Compare_and_swap_detects_conflicting_writers()
    {
        await _broker.PutAsync(_p + "c", "0");
        var seen = (await _broker.GetAsync(_p + "c"))!;

        // Another writer updates in between.
        var other = await _broker.PutAsync(_p + "c", "other");

        var stale = await _broker.CompareAndSwapAsync(_p + "c", "mine", seen.ModRevision);
        Assert.False(stale.Succeeded);
        Assert.Equal("other", stale.Current!.Value);
        Assert.Equal(other, stale.Current.ModRevision);

        var fresh = await _broker.CompareAndSwapAsync(_p + "c", "mine", stale.Current.ModRevision);
        Assert.True(fresh.Succeeded);
        Assert.Equal(fresh.Revision, (await _broker.GetAsync(_p + "c"))!.ModRevision);

        var del = await _broker.CompareAndDeleteAsync(_p + "c", seen.ModRevision);
        Assert.False(del.Succeeded);
        Assert.True((await _broker.CompareAndDeleteAsync(_p + "c", fresh.Revision)).Succeeded);
        Assert.Null(await _broker.GetAsync(_p + "c"));
    }

    [Fact]
    public async Task Concurrent_cas_increments_never_lose_an_update()
    {
        await _broker.PutAsync(_p + "counter", "0");
        await using var other = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        async Task Increment(IEtcdBroker b, int times)
        {
            for (var i = 0; i < times; i++)
            {
                while (true)
                {
                    var cur = (await b.GetAsync(_p + "counter"))!;
                    var next = (int.Parse(cur.Value, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if ((await b.CompareAndSwapAsync(_p + "counter", next, cur.ModRevision)).Succeeded)
                    {
                        break;
                    }
                }
            }
        }

        await Task.WhenAll(Task.Run(() => Increment(_broker, 100)), Task.Run(() => Increment(other, 100)));
        Assert.Equal("200", (await _broker.GetAsync(_p + "counter"))!.Value);
    }

    [Fact]
    public async Task Transaction_applies_all_ops_atomically_or_runs_the_else_branch()
    {
        await _broker.PutAsync(_p + "t/old", "x");
        var guard = (await _broker.GetAsync(_p + "t/old"))!;

        var ok = await _broker.TxnAsync(
            [TxnCompare.ModRevisionIs(_p + "t/old", guard.ModRevision), TxnCompare.Absent(_p + "t/new"), TxnCompare.ValueIs(_p + "t/old", "x")],
            [TxnOp.Put(_p + "t/new", "n"), TxnOp.Delete(_p + "t/old"), TxnOp.Get(_p + "t/new")]);
        Assert.True(ok.Succeeded);
        Assert.Equal("n", ok.Reads.Single()!.Value);
        Assert.Equal(ok.Revision, ok.Reads.Single()!.ModRevision);
        Assert.Null(await _broker.GetAsync(_p + "t/old"));

        // Same guard again: fails, nothing of the success branch happens, the else branch reads.
        var failed = await _broker.TxnAsync(
            [TxnCompare.Exists(_p + "t/old")],
            [TxnOp.Put(_p + "t/never", "!")],
            [TxnOp.Get(_p + "t/new"), TxnOp.Get(_p + "t/old"), TxnOp.Put(_p + "t/else", "e")]);
        Assert.False(failed.Succeeded);
        Assert.Equal(2, failed.Reads.Count);
        Assert.Equal("n", failed.Reads[0]!.Value);
        Assert.Null(failed.Reads[1]);
        Assert.Null(await _broker.GetAsync(_p + "t/never"));
        Assert.Equal("e", (await _broker.GetAsync(_p + "t/else"))!.Value);

        var wipe = await _broker.TxnAsync([], [TxnOp.DeletePrefix(_p + "t/")]);
        Assert.True(wipe.Succeeded);
        Assert.Empty(await _broker.ListKeysAsync(_p + "t/").ToListAsync());
    }

    [Fact]
    public async Task Proto_helpers_store_protobuf_json_with_original_field_names()
    {
        var pod = new Pod { Name = "web-1", Namespace = "default", IpAddress = "10.1.1.2", HostIpAddress = "192.168.16.1" };
        var key = _p + "pod/web-1";
        await _broker.PutProtoAsync(key, pod);

        var raw = await etcd.Server.GetAsync(key);
        Assert.Contains("\"ip_address\":\"10.1.1.2\"", raw, StringComparison.Ordinal);
        Assert.Contains("\"host_ip_address\":\"192.168.16.1\"", raw, StringComparison.Ordinal);

        var back = await _broker.GetProtoAsync<Pod>(key);
        Assert.Equal(pod, back!.Value);
        Assert.False((await _broker.PutProtoIfAbsentAsync(key, new Pod { Name = "other" })).Succeeded);
        var moved = pod.Clone();
        moved.IpAddress = "10.1.1.3";
        Assert.True((await _broker.CompareAndSwapProtoAsync(key, moved, back.ModRevision)).Succeeded);

        var listed = await _broker.ListProtoAsync<Pod>(_p + "pod/").ToListAsync();
        Assert.Equal("10.1.1.3", Assert.Single(listed).Value.IpAddress);

        // lowerCamel (jsonpb default names) is read too; garbage names the key.
        await etcd.Server.PutAsync(_p + "pod/camel", "{\"name\":\"c\",\"ipAddress\":\"10.1.1.9\"}");
        Assert.Equal("10.1.1.9", (await _broker.GetProtoAsync<Pod>(_p + "pod/camel"))!.Value.IpAddress);
        await etcd.Server.PutAsync(_p + "pod/bad", "{not json");
        var ex = await Assert.ThrowsAsync<FormatException>(() => _broker.GetProtoAsync<Pod>(_p + "pod/bad"));
        Assert.Contains(_p + "pod/bad", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ProtoJson.Format(moved), (await _broker.GetAsync(key))!.Value);
    }

    [Fact]
    public async Task Keys_and_values_are_utf8_text()
    {
        await _broker.PutAsync(_p + "ünïcode/ключ", "значение ✓");
        Assert.Equal("значение ✓", (await _broker.GetAsync(_p + "ünïcode/ключ"))!.Value);
        Assert.Equal([_p + "ünïcode/ключ"], await _broker.ListKeysAsync(_p + "ünïcode/").ToListAsync());
    }
}
