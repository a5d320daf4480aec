namespace Contiv.Ksr.Queue;

/// <summary>
/// A client-go style work queue of keys: an item waiting in the queue is held once however often it
/// is added (bursts collapse), an item is handed to at most one worker at a time, and an item added
/// while a worker holds it is queued again only when that worker calls <see cref="Done(T)"/>.
/// </summary>
/// <remarks>
/// Three sets carry the invariants: <c>dirty</c> (needs processing), <c>processing</c> (held by a
/// worker) and the FIFO <c>queue</c> (dirty and not processing, in arrival order). Every item in the
/// queue is dirty; no item is in the queue and in processing at the same time. All members are
/// thread-safe.
/// </remarks>
/// <typeparam name="T">The item type (a key, compared with the default equality).</typeparam>
internal sealed class WorkQueue<T>
    where T : notnull
{
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly List<TaskCompletionSource> _waiters = [];
    private bool _shutDown;

    /// <summary>Creates an empty queue.</summary>
    /// <param name="time">Clock of <see cref="AddAfter"/>'s delays (null: the system clock).</param>
    public WorkQueue(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Number of items waiting to be taken (not counting items being processed).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Number of items currently held by workers.</summary>
    public int ProcessingCount
    {
        get
        {
            lock (_lock)
            {
                return _processing.Count;
            }
        }
    }

    /// <summary>True when nothing waits and nothing is being processed.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count == 0 && _processing.Count == 0;
            }
        }
    }

    /// <summary>True after <see cref="ShutDown"/>.</summary>
    public bool IsShutDown
    {
        get
        {
            lock (_lock)
            {
                return _shutDown;
            }
        }
    }

    /// <summary>Marks <paramref name="item"/> as needing processing.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False when the item was already waiting (the add collapsed into it) or the queue is shut down.</returns>
    public bool Add(T item)
    {
        TaskCompletionSource[]? wake;
        lock (_lock)
        {
            if (_shutDown || !_dirty.Add(item))
            {
                return false;
            }

            if (_processing.Contains(item))
            {
                // Re-queued by Done: the current holder finishes first.
                return true;
            }

            _queue.Enqueue(item);
            wake = TakeWaiters();
        }

        Wake(wake);
        return true;
    }

    /// <summary>Adds <paramref name="item"/> after <paramref name="delay"/> (used for retries with back-off).</summary>
    /// <param name="item">The item.</param>
    /// <param name="delay">How long to wait before adding.</param>
    /// <param name="ct">Cancels the delayed add.</param>
    public void AddAfter(T item, TimeSpan delay, CancellationToken ct = default)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }

        _ = DelayedAddAsync(item, delay, ct);
    }

    /// <summary>
    /// Waits for at least one item and takes up to <paramref name="max"/> waiting items; each taken
    /// item is held until <see cref="Done(T)"/>.
    /// </summary>
    /// <param name="max">Most items to take at once (≥ 1).</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>The taken items in arrival order, or an empty list once the queue is shut down and drained.</returns>
    public async Task<IReadOnlyList<T>> TakeAsync(int max, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_queue.Count > 0)
                {
                    var n = Math.Min(max, _queue.Count);
                    var batch = new List<T>(n);
                    for (var i = 0; i < n; i++)
                    {
                        var item = _queue.Dequeue();
                        _dirty.Remove(item);
                        _processing.Add(item);
                        batch.Add(item);
                    }

                    return batch;
                }

                if (_shutDown)
                {
                    return [];
                }

                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add(tcs);
                wait = tcs.Task;
            }

            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Releases an item taken with <see cref="TakeAsync"/>; queues it again if it was added meanwhile.</summary>
    /// <param name="item">The item.</param>
    public void Done(T item)
    {
        TaskCompletionSource[]? wake = null;
        lock (_lock)
        {
            if (!_processing.Remove(item))
            {
                return;
            }

            if (_dirty.Contains(item))
            {
                _queue.Enqueue(item);
                wake = TakeWaiters();
            }
        }

        Wake(wake);
    }

    /// <summary>Releases every item of a batch (see <see cref="Done(T)"/>).</summary>
    /// <param name="items">The items.</param>
    public void Done(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            Done(item);
        }
    }

    /// <summary>Stops accepting items; workers drain what is queued and then receive empty batches.</summary>
    public void ShutDown()
    {
        TaskCompletionSource[]? wake;
        lock (_lock)
        {
            _shutDown = true;
            wake = TakeWaiters();
        }

        Wake(wake);
    }

    private async Task DelayedAddAsync(T item, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Add(item);
    }

    private TaskCompletionSource[]? TakeWaiters()
    {
        if (_waiters.Count == 0)
        {
            return null;
        }

        var all = _waiters.ToArray();
        _waiters.Clear();
        return all;
    }

    private static void Wake(TaskCompletionSource[]? waiters)
    {
        if (waiters is null)
        {
            return;
        }

        foreach (var w in waiters)
        {
            w.TrySetResult();
        }
    }
}
