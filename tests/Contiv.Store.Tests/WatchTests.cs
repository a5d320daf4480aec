using Contiv.Testing;

namespace Contiv.Store.Tests;

[Collection(EtcdCollection.Name)]
public sealed class WatchTests(EtcdFixture etcd) : IAsyncLifetime
{
    private readonly string _p = EtcdFixture.UniquePrefix();
    private EtcdBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Watch_reports_puts_and_deletes_under_the_prefix_in_order_with_previous_values()
    {
        var watch = TestBrokers.CollectAsync(_broker.WatchAsync(_p + "w/"), s => s.Count >= 4, TimeSpan.FromSeconds(10));
        await Task.Delay(300); // let the watch start; it is pinned to the revision at call time anyway
        await _broker.PutAsync(_p + "w/a", "1");
        await _broker.PutAsync(_p + "other", "not watched");
        await _broker.PutAsync(_p + "w/a", "2");
        await _broker.PutAsync(_p + "w/b", "3");
        await _broker.DeleteAsync(_p + "w/a");

        var seen = await watch;
        Assert.Equal(4, seen.Count);
        Assert.Equal([StoreEventKind.Put, StoreEventKind.Put, StoreEventKind.Put, StoreEventKind.Delete], seen.Select(e => e.Kind));
        Assert.Equal([_p + "w/a", _p + "w/a", _p + "w/b", _p + "w/a"], seen.Select(e => e.Key));
        Assert.Null(seen[0].Previous);
        Assert.Equal("1", seen[1].Previous!.Value);
        Assert.Equal("2", seen[3].Previous!.Value);
        Assert.Equal(string.Empty, seen[3].Current.Value);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.Revision < p.Second.Revision));
    }

    [Fact]
    public async Task Watch_from_a_past_revision_replays_history()
    {
        var r1 = await _broker.PutAsync(_p + "h/a", "1");
        await _broker.PutAsync(_p + "h/a", "2");
        await _broker.PutAsync(_p + "h/b", "3");

        var seen = await TestBrokers.CollectAsync(_broker.WatchAsync(_p + "h/", r1), s => s.Count >= 3, TimeSpan.FromSeconds(10));
        Assert.Equal(["1", "2", "3"], seen.Select(e => e.Current.Value));
        Assert.Equal(r1, seen[0].Revision);
    }

    [Fact]
    public async Task Watch_ends_with_cancellation_when_the_caller_cancels()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in _broker.WatchAsync(_p + "quiet/", cancellationToken: cts.Token))
            {
            }
        });
    }

    [Fact]
    public async Task Sync_yields_a_snapshot_then_changes()
    {
        await _broker.PutAsync(_p + "s/a", "1");
        await _broker.PutAsync(_p + "s/b", "2");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var updates = new List<SyncUpdate>();
        await foreach (var u in _broker.SyncAsync(_p + "s/", cts.Token))
        {
            updates.Add(u);
            if (updates.Count == 1)
            {
                await _broker.PutAsync(_p + "s/c", "3");
                await _broker.DeleteAsync(_p + "s/a");
            }

            if (updates.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(SyncUpdateKind.Resync, updates[0].Kind);
        Assert.Equal([_p + "s/a", _p + "s/b"], updates[0].Snapshot!.Items.Select(i => i.Key));
        Assert.Equal((StoreEventKind.Put, _p + "s/c"), (updates[1].Event!.Kind, updates[1].Event!.Key));
        Assert.Equal((StoreEventKind.Delete, _p + "s/a"), (updates[2].Event!.Kind, updates[2].Event!.Key));
    }
}

/// <summary>Watches across etcd kills, restarts, compaction and wipes: each test owns its etcd.</summary>
public sealed class WatchResumeTests
{
    [Fact]
    public async Task Watch_misses_nothing_when_etcd_is_killed_and_restarted_during_1000_writes()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var writer = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        await using var watcher = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        var watcherDisconnects = 0;
        watcher.ConnectionStateChanged += (_, e) =>
        {
            if (e.Current == StoreConnectionState.Disconnected)
            {
                Interlocked.Increment(ref watcherDisconnects);
            }
        };
        const int writes = 1000;
        const int keys = 50;
        var start = await writer.GetRevisionAsync() + 1;

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var seen = new List<StoreEvent>();
        const string endMarker = "/kill/zz-end";
        var watchTask = Task.Run(async () =>
        {
            await foreach (var e in watcher.WatchAsync("/kill/", start, cts.Token))
            {
                seen.Add(e);
                if (e.Key == endMarker)
                {
                    return;
                }
            }
        });

        var killed = false;
        Task? restart = null;
        for (var i = 0; i < writes; i++)
        {
            if (i == writes / 3)
            {
                await etcd.KillAsync();
                killed = true;
                restart = Task.Run(async () =>
                {
                    await Task.Delay(1500);
                    await etcd.StartAgainAsync();
                });
            }

            // The broker retries while etcd is down; a write that reached etcd before the kill but
            // lost its answer is written again, which is fine for a put.
            await writer.PutAsync($"/kill/{i % keys:D2}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: cts.Token);
        }

        var lastWrite = await writer.PutAsync(endMarker, "done", cancellationToken: cts.Token);
        await watchTask.WaitAsync(cts.Token);
        await restart!;
        Assert.True(killed);
        Assert.True(Volatile.Read(ref watcherDisconnects) >= 1, "the watcher never noticed the outage, so no resume was exercised");

        // No gaps: every revision from the start to the last write, in order, exactly once.
        var revisions = seen.Select(e => e.Revision).ToList();
        var expected = Enumerable.Range(0, (int)(lastWrite - start + 1)).Select(d => start + d).ToList();
        Assert.Equal(expected, revisions);
        Assert.True(seen.Count > writes);
        seen.RemoveAt(seen.Count - 1); // the end marker

        // Every key's final value is the last one written.
        var final = seen.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Current.Value);
        for (var k = 0; k < keys; k++)
        {
            var lastI = writes - keys + k;
            Assert.Equal(lastI.ToString(System.Globalization.CultureInfo.InvariantCulture), final[$"/kill/{k:D2}"]);
        }

        // And it matches what etcd holds.
        var stored = await watcher.ListAsync("/kill/").Where(kv => kv.Key != endMarker).ToDictionaryAsync(kv => kv.Key, kv => kv.Value);
        Assert.Equal(stored, final);
    }

    [Fact]
    public async Task Compaction_past_the_resume_revision_is_reported_to_the_caller()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        var first = await broker.PutAsync("/c/a", "1");
        await broker.PutAsync("/c/a", "2");
        await broker.PutAsync("/c/a", "3");
        var compactedTo = await etcd.CompactToCurrentAsync();

        var ex = await Assert.ThrowsAsync<WatchCompactedException>(async () =>
        {
            await foreach (var unused in broker.WatchAsync("/c/", first))
            {
            }
        });
        Assert.Equal(first, ex.RequestedRevision);
        Assert.Equal(compactedTo, ex.CompactRevision);
        Assert.False(ex.StoreReset);
        Assert.Equal("/c/", ex.Prefix);
    }

    [Fact]
    public async Task Compaction_while_a_watch_is_disconnected_is_reported_when_it_resumes()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<StoreEvent>();
        long compactedTo = 0;
        var ex = await Assert.ThrowsAsync<WatchCompactedException>(async () =>
        {
            var first = await etcd.PutAsync("/d/a", "1");
            await foreach (var e in broker.WatchAsync("/d/", first, cts.Token))
            {
                seen.Add(e);

                // The watch only reconnects when asked for the next event, so this gap is
                // deterministic: restart etcd, let others write, and compact behind its back.
                await etcd.StopAsync();
                await etcd.StartAgainAsync();
                await etcd.PutAsync("/d/a", "2");
                await etcd.PutAsync("/d/b", "3");
                compactedTo = await etcd.CompactToCurrentAsync();
            }
        });

        Assert.Equal(compactedTo, ex.CompactRevision);
        Assert.Equal(seen[0].Revision + 1, ex.RequestedRevision);
        Assert.Single(seen);
    }

    [Fact]
    public async Task Sync_resyncs_with_a_fresh_snapshot_after_compaction()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        await broker.PutAsync("/s/a", "1");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var updates = new List<SyncUpdate>();
        await foreach (var u in broker.SyncAsync("/s/", cts.Token))
        {
            updates.Add(u);
            if (updates.Count == 1)
            {
                // Stop etcd so the watch breaks, then change and compact behind its back.
                await etcd.StopAsync();
                await etcd.StartAgainAsync();
                await etcd.DeletePrefixAsync("/s/");
                await etcd.PutAsync("/s/b", "2");
                await etcd.CompactToCurrentAsync();
            }

            if (updates.Count(x => x.Kind == SyncUpdateKind.Resync) == 2)
            {
                break;
            }
        }

        var resync = updates.Last();
        Assert.Equal(SyncUpdateKind.Resync, resync.Kind);
        Assert.Equal(["/s/b"], resync.Snapshot!.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task Watch_reports_a_wiped_store_instead_of_waiting_forever()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        for (var i = 0; i < 20; i++)
        {
            await broker.PutAsync("/r/k", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var started = new TaskCompletionSource();
        var watch = Task.Run(async () =>
        {
            started.TrySetResult();
            await foreach (var unused in broker.WatchAsync("/r/", 0, cts.Token))
            {
            }
        });
        await started.Task;
        await Task.Delay(500);
        await etcd.WipeAsync();

        var ex = await Assert.ThrowsAsync<WatchCompactedException>(() => watch.WaitAsync(cts.Token));
        Assert.True(ex.StoreReset);
    }
}
