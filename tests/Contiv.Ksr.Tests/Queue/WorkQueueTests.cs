using Microsoft.Extensions.Time.Testing;
using Contiv.Ksr.Queue;

namespace Contiv.Ksr.Tests.Queue;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Burst_of_adds_of_one_key_collapses_into_one_item()
    {
        var q = new WorkQueue<string>();
        Assert.True(q.Add("a"));
        for (var i = 0; i < 100; i++)
        {
            Assert.False(q.Add("a"));
        }

        q.Add("b");
        Assert.Equal(2, q.Count);
        var batch = await q.TakeAsync(10, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(["a", "b"], batch);
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Item_added_while_processing_is_not_handed_out_until_done()
    {
        var q = new WorkQueue<string>();
        q.Add("a");
        var first = await q.TakeAsync(1, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(["a"], first);

        Assert.True(q.Add("a")); // dirty while processing
        Assert.Equal(0, q.Count);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q.TakeAsync(1, cts.Token));

        q.Done("a");
        Assert.Equal(1, q.Count);
        Assert.Equal(["a"], await q.TakeAsync(1, CancellationToken.None).WaitAsync(Timeout));
        q.Done("a");
        Assert.True(q.IsIdle);
    }

    [Fact]
    public async Task Concurrent_workers_never_hold_the_same_item_and_the_last_add_is_processed()
    {
        var q = new WorkQueue<int>();
        var holding = new int[10];
        var processedAfterLastAdd = new bool[10];
        var violations = 0;
        using var stop = new CancellationTokenSource();
        var lastAddDone = false;

        async Task Worker()
        {
            while (!stop.IsCancellationRequested)
            {
                IReadOnlyList<int> batch;
                try
                {
                    batch = await q.TakeAsync(3, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                foreach (var item in batch)
                {
                    if (Interlocked.Increment(ref holding[item]) != 1)
                    {
                        Interlocked.Increment(ref violations);
                    }
                }

                var afterLast = Volatile.Read(ref lastAddDone);
                await Task.Yield();
                foreach (var item in batch)
                {
                    Interlocked.Decrement(ref holding[item]);
                    if (afterLast)
                    {
                        processedAfterLastAdd[item] = true;
                    }

                    q.Done(item);
                }
            }
        }

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)).ToList();
        var rng = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            q.Add(rng.Next(10));
        }

        Volatile.Write(ref lastAddDone, true);
        for (var i = 0; i < 10; i++)
        {
            q.Add(i);
        }

        var deadline = DateTime.UtcNow + Timeout;
        while (!q.IsIdle && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(0, violations);
        Assert.True(q.IsIdle);
        Assert.All(processedAfterLastAdd, Assert.True);
    }

    [Fact]
    public async Task Shut_down_queue_drains_then_returns_empty_batches()
    {
        var q = new WorkQueue<string>();
        q.Add("a");
        q.ShutDown();
        Assert.False(q.Add("b"));
        Assert.Equal(["a"], await q.TakeAsync(5, CancellationToken.None).WaitAsync(Timeout));
        Assert.Empty(await q.TakeAsync(5, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Waiting_taker_wakes_on_add()
    {
        var q = new WorkQueue<string>();
        var take = q.TakeAsync(5, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(take.IsCompleted);
        q.Add("x");
        Assert.Equal(["x"], await take.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Delayed_add_arrives_when_the_clock_passes_the_delay()
    {
        var time = new FakeTimeProvider();
        var q = new WorkQueue<string>(time);
        q.AddAfter("late", TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, q.Count);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["late"], await q.TakeAsync(1, CancellationToken.None).WaitAsync(Timeout));
    }
}
