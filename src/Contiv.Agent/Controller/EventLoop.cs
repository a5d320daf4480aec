using System.Collections.Concurrent;
using Contiv.Agent.Config;
using Contiv.Agent.Scheduler;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Contiv.Agent.Controller;

/// <summary>Health of the event loop.</summary>
internal enum LoopState
{
    /// <summary>Waiting for the startup resync.</summary>
    Starting,

    /// <summary>Startup resync done, last healing (if any) succeeded.</summary>
    Ready,

    /// <summary>An event failed; a healing resync is scheduled.</summary>
    Degraded,

    /// <summary>Healing failed or a fatal error occurred: the agent must be restarted.</summary>
    Fatal,
}

/// <summary>
/// The controller (SPEC §1.6.1): one dedicated thread takes events in order and, for each, runs the
/// handlers (forward, or reverse for deletes), collects their desired configuration into one transaction
/// and commits it to the scheduler. Follow-up events pushed by handlers run before any other queued event.
/// Nothing but the startup resync runs until the first DB resync; events that arrive earlier wait.
/// </summary>
internal sealed partial class EventLoop : IDisposable
{
    /// <summary>Capacity of the event queue.</summary>
    public const int QueueCapacity = 1000;

    private readonly KvScheduler _scheduler;
    private readonly List<IEventHandler> _handlers = [];
    private readonly ControllerConfig _config;
    private readonly ILogger _log;
    private readonly BlockingCollection<AgentEvent> _queue = new(QueueCapacity);
    private readonly Queue<AgentEvent> _followUps = new();
    private readonly List<AgentEvent> _delayed = [];
    private readonly LinkedList<EventRecord> _history = new();
    private LinkedListNode<EventRecord>? _firstAging; // first history record past the permanently recorded period
    private readonly object _historyGate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startTime;
    private Thread? _thread;
    private string? _stateDetail;
    private KubeStateData _kubeState = new();
    private int _resyncCount;
    private long _seq;
    private long? _currentSeq;
    private int _healingPending;
    private ITimer? _healingTimer;
    private ITimer? _periodicTimer;

    /// <summary>Creates a loop over <paramref name="scheduler"/> with handlers registered later by <see cref="AddHandler"/>.</summary>
    /// <param name="scheduler">Where the events' transactions are committed.</param>
    /// <param name="config">Retry, healing, deadline and history settings.</param>
    /// <param name="log">Logger.</param>
    /// <param name="time">Clock of the startup deadline, the healing timers and the event history (tests pass a fake one).</param>
    public EventLoop(KvScheduler scheduler, ControllerConfig config, ILogger? log = null, TimeProvider? time = null)
    {
        _scheduler = scheduler;
        _config = config;
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _startTime = _time.GetUtcNow();
    }

    /// <summary>Current state.</summary>
    public LoopState State { get; private set; } = LoopState.Starting;

    /// <summary>Reason of the current non-ready state (the loop's own, else why the data plane is unusable).</summary>
    public string? StateDetail
    {
        get => _stateDetail ?? DownstreamProblem;
        private set => _stateDetail = value;
    }

    /// <summary>True once the startup resync was processed.</summary>
    public bool StartupResyncDone { get; private set; }

    /// <summary>Ready for traffic: startup resync done, not fatal, and the data plane reachable.</summary>
    public bool IsReady => StartupResyncDone && State == LoopState.Ready && DownstreamProblem is null;

    /// <summary>
    /// Alive: not fatal, the startup resync did not miss its deadline, and the loop is not stuck (its thread runs
    /// and no event has been processing longer than the configured limit).
    /// </summary>
    public bool IsAlive => State != LoopState.Fatal
        && (StartupResyncDone || _time.GetUtcNow() - _startTime < _config.StartupResyncDeadline)
        && StuckDetail() is null;

    /// <summary>Number of resyncs processed.</summary>
    public int ResyncCount => _resyncCount;

    /// <summary>Current Kubernetes state cache (owned by the loop thread; read-only for others).</summary>
    public KubeStateData KubeState => _kubeState;

    /// <summary>True when called on the loop thread.</summary>
    public bool OnLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Registers a handler (before <see cref="Start"/>); order matters.</summary>
    public void AddHandler(IEventHandler handler)
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("handlers must be added before the loop starts");
        }

        _handlers.Add(handler);
    }

    /// <summary>Starts the loop thread.</summary>
    public void Start()
    {
        _thread = new Thread(Run) { Name = "event-loop", IsBackground = true };
        _thread.Start();
        if (_config.EnablePeriodicHealing)
        {
            _periodicTimer = _time.CreateTimer(_ => TryPush(new HealingResync(HealingKind.Periodic)), null, _config.PeriodicHealingInterval, _config.PeriodicHealingInterval);
        }
    }

    /// <summary>
    /// Queues an event. From the loop thread the event becomes a follow-up (must not be blocking);
    /// otherwise it goes to the queue, and fails with "queue full" at capacity.
    /// </summary>
    public void Push(AgentEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        if (OnLoopThread)
        {
            if (ev.IsBlocking)
            {
                throw new InvalidOperationException($"blocking event {ev.Name} cannot be pushed from inside the event loop");
            }

            _followUps.Enqueue(ev);
            return;
        }

        if (_stop.IsCancellationRequested)
        {
            throw new InvalidOperationException($"event loop is stopped; {ev.Name} rejected");
        }

        if (!_queue.TryAdd(ev))
        {
            throw new InvalidOperationException($"event queue full ({QueueCapacity} events); {ev.Name} rejected");
        }
    }

    /// <summary>Pushes and returns false instead of throwing.</summary>
    public bool TryPush(AgentEvent ev)
    {
        try
        {
            Push(ev);
            return true;
        }
        catch (InvalidOperationException e)
        {
            _log.LogWarning("{Error}", e.Message);
            return false;
        }
    }

    /// <summary>Pushes a blocking event and waits for its outcome.</summary>
    public async Task PushAndWaitAsync(AgentEvent ev, CancellationToken ct = default)
    {
        Push(ev);
        await ev.Completion.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Event history filtered as by the REST query (precedence seq-num &gt; since/until &gt; from/to &gt; first &gt; last).</summary>
    public IReadOnlyList<EventRecord> History(long? seqNum = null, DateTimeOffset? since = null, DateTimeOffset? until = null,
        long? from = null, long? to = null, int? first = null, int? last = null)
    {
        List<EventRecord> all;
        lock (_historyGate)
        {
            all = [.. _history];
        }

        if (seqNum is { } n)
        {
            return all.Where(r => r.SeqNum == n).ToList();
        }

        if (since is not null || until is not null)
        {
            return all.Where(r => (since is null || r.ProcessingStart >= since) && (until is null || r.ProcessingStart <= until)).ToList();
        }

        if (from is not null || to is not null)
        {
            return all.Where(r => (from is null || r.SeqNum >= from) && (to is null || r.SeqNum <= to)).ToList();
        }

        if (first is { } f)
        {
            return all.Take(f).ToList();
        }

        if (last is { } l)
        {
            return all.Skip(Math.Max(0, all.Count - l)).ToList();
        }

        return all;
    }

    /// <summary>Processes a blocking Shutdown event, then stops the thread.</summary>
    public void Stop(TimeSpan timeout)
    {
        if (_thread is null || _stop.IsCancellationRequested)
        {
            return;
        }

        var shutdown = new ShutdownEvent();
        if (StartupResyncDone && TryPush(shutdown))
        {
            // Handlers' shutdown errors are logged by Process; stopping goes on regardless.
            ((IAsyncResult)shutdown.Completion).AsyncWaitHandle.WaitOne(timeout);
        }

        _stop.Cancel();
        _thread.Join(timeout);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        _healingTimer?.Dispose();
        _periodicTimer?.Dispose();
        _queue.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            AgentEvent ev;
            bool followUp;
            if (_followUps.Count > 0)
            {
                ev = _followUps.Dequeue();
                followUp = true;
            }
            else
            {
                try
                {
                    ev = _queue.Take(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                followUp = false;
            }

            if (!StartupResyncDone && ev is not DbResync)
            {
                _delayed.Add(ev);
                continue;
            }

            Process(ev, followUp);
            if (ev is DbResync && !StartupResyncDone)
            {
                StartupResyncDone = true;
                foreach (var d in _delayed)
                {
                    _followUps.Enqueue(d);
                }

                _delayed.Clear();
            }
        }

        foreach (var ev in _delayed.Concat(_followUps).Concat(_queue.GetConsumingEnumerable(CancellationToken.None).Take(0)))
        {
            ev.Done(new OperationCanceledException("agent is shutting down"));
        }

        while (_queue.TryTake(out var left))
        {
            left.Done(new OperationCanceledException("agent is shutting down"));
        }
    }

    private void Process(AgentEvent ev, bool followUp)
    {
        var record = new EventRecord
        {
            SeqNum = _seq++,
            ProcessingStart = _time.GetUtcNow(),
            IsFollowUp = followUp,
            FollowUpTo = followUp ? _currentSeq : null,
            Name = ev.Name,
            Description = ev.ToString(),
            Method = ev.Method,
        };
        if (!followUp)
        {
            _currentSeq = record.SeqNum;
        }

        _log.LogInformation("*** event #{Seq}: {Description} ({Method}{FollowUp})", record.SeqNum, record.Description, ev.Method, followUp ? ", follow-up" : string.Empty);
        Exception? error = null;
        BeginProcessing(record);
        try
        {
            error = ev.Method == EventMethod.Update ? ProcessUpdate(ev, record) : ProcessResync(ev, record);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e;
        }
        finally
        {
            EndProcessing();
        }

        record.ProcessingEnd = _time.GetUtcNow();
        AddHistory(record);
        AfterEvent(ev, error);
        ev.Done(error);
    }

    private Exception? ProcessResync(AgentEvent ev, EventRecord record)
    {
        _resyncCount++;
        if (ev is DbResync db)
        {
            _kubeState = db.KubeState.Clone();
        }

        var txn = new ResyncTxn();
        Exception? handlerError = null;
        if (ev.Method != EventMethod.DownstreamResync)
        {
            foreach (var h in _handlers.Where(h => h.HandlesEvent(ev)))
            {
                try
                {
                    h.Resync(ev, _kubeState, _resyncCount, txn);
                    record.Handlers.Add(new HandlerRecord(h.Name, false, string.Empty, null));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _log.LogError(e, "handler {Handler} failed to resync", h.Name);
                    record.Handlers.Add(new HandlerRecord(h.Name, false, string.Empty, e.Message));
                    handlerError ??= e;
                    if (e is FatalEventException)
                    {
                        return e;
                    }
                }
            }
        }

        var kind = ev.Method switch
        {
            EventMethod.FullResync => TxnKind.FullResync,
            EventMethod.UpstreamResync => TxnKind.UpstreamResync,
            _ => TxnKind.DownstreamResync,
        };
        var result = _scheduler.Resync(kind, kind == TxnKind.DownstreamResync ? null : txn.Items, record.Description, Retry());
        record.TxnSeqNum = result.Record.SeqNum;
        record.TxnOperations = result.Record.Operations.Count;
        if (!result.Ok)
        {
            record.TxnError = result.Record.Error;
            return handlerError ?? new InvalidOperationException($"resync transaction failed: {result.Record.Error}");
        }

        return handlerError;
    }

    private Exception? ProcessUpdate(AgentEvent ev, EventRecord record)
    {
        var handlers = _handlers.Where(h => h.HandlesEvent(ev)).ToList();
        if (ev.Direction == EventDirection.Reverse)
        {
            handlers.Reverse();
        }

        if (ev is KubeStateChange ksc)
        {
            _kubeState.Set(ksc.Resource, ksc.Key, ksc.NewValue);
        }

        var txn = new UpdateTxn(_scheduler);
        var processed = new List<IEventHandler>();
        Exception? error = null;
        foreach (var h in handlers)
        {
            try
            {
                var change = h.Update(ev, txn);
                processed.Add(h);
                record.Handlers.Add(new HandlerRecord(h.Name, false, change, null));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.LogWarning("handler {Handler} failed on {Event}: {Error}", h.Name, ev.Name, e.Message);
                record.Handlers.Add(new HandlerRecord(h.Name, false, string.Empty, e.Message));
                error ??= e;
                if (ev.TransactionType == UpdateTransactionType.RevertOnFailure || e is FatalEventException)
                {
                    processed.Add(h); // its partial internal changes are reverted too
                    break;
                }
            }
        }

        var revert = ev.TransactionType == UpdateTransactionType.RevertOnFailure;
        if (error is null || !revert)
        {
            var result = _scheduler.Update(txn.Changes, record.Description, revert, Retry());
            record.TxnSeqNum = result.Record.SeqNum;
            record.TxnOperations = result.Record.Operations.Count;
            if (!result.Ok)
            {
                record.TxnError = result.Record.Error;
                error ??= new InvalidOperationException(result.Record.Error);
            }
        }

        if (error is not null && revert)
        {
            processed.Reverse();
            foreach (var h in processed)
            {
                try
                {
                    h.Revert(ev);
                    record.Handlers.Add(new HandlerRecord(h.Name, true, string.Empty, null));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    record.Handlers.Add(new HandlerRecord(h.Name, true, string.Empty, e.Message));
                    _log.LogError(e, "handler {Handler} failed to revert {Event}", h.Name, ev.Name);
                }
            }
        }

        return error;
    }

    private RetryPolicy Retry() => _config.EnableRetry
        ? new RetryPolicy(_config.MaxRetryAttempts, _config.DelayRetry, _config.EnableExpBackoffRetry)
        : RetryPolicy.None;

    private void AfterEvent(AgentEvent ev, Exception? error)
    {
        if (error is null)
        {
            if (ev is DbResync || ev is HealingResync { Kind: HealingKind.AfterError })
            {
                if (State != LoopState.Fatal)
                {
                    State = LoopState.Ready;
                    StateDetail = null;
                }
            }

            return;
        }

        if (error is FatalEventException || ev is HealingResync { Kind: HealingKind.AfterError })
        {
            State = LoopState.Fatal;
            StateDetail = $"{ev.Name} failed: {error.Message}";
            _log.LogCritical("event loop is in FATAL state: {Detail}", StateDetail);
            return;
        }

        if (ev.TransactionType == UpdateTransactionType.BestEffortIgnoreErrors && ev.Method == EventMethod.Update)
        {
            return;
        }

        if (ev.Method == EventMethod.Update && ev.TransactionType == UpdateTransactionType.RevertOnFailure)
        {
            // The event was undone; the caller got the error and nothing half-configured is left behind.
            return;
        }

        if (State != LoopState.Fatal)
        {
            State = StartupResyncDone || ev is DbResync ? LoopState.Degraded : LoopState.Starting;
            StateDetail = $"{ev.Name} failed: {error.Message}";
        }

        if (Interlocked.Exchange(ref _healingPending, 1) == 0)
        {
            var healing = new HealingResync(HealingKind.AfterError, error.Message);
            _healingTimer?.Dispose();
            _healingTimer = _time.CreateTimer(_ =>
            {
                Interlocked.Exchange(ref _healingPending, 0);
                TryPush(healing);
            }, null, _config.DelayAfterErrorHealing, Timeout.InfiniteTimeSpan);
        }
    }

    private void AddHistory(EventRecord record)
    {
        if (!_config.RecordEventHistory)
        {
            return;
        }

        lock (_historyGate)
        {
            // Records arrive in processing order: those of the initial period (kept for good) form a prefix, the
            // rest ages out from its front, so trimming never walks the whole history.
            var added = _history.AddLast(record);
            var permanent = _startTime + TimeSpan.FromMinutes(_config.PermanentlyRecordedInitPeriod);
            if (_firstAging is null && record.ProcessingStart > permanent)
            {
                _firstAging = added;
            }

            var limit = _time.GetUtcNow() - TimeSpan.FromMinutes(_config.EventHistoryAgeLimit);
            while (_firstAging is not null && _firstAging.Value.ProcessingStart < limit)
            {
                var next = _firstAging.Next;
                _history.Remove(_firstAging);
                _firstAging = next;
            }
        }
    }

    private sealed class ResyncTxn : IResyncOperations
    {
        public Dictionary<string, object> Items { get; } = new(StringComparer.Ordinal);

        public void Put(string key, object value) => Items[key] = value;

        public object? Get(string key) => Items.GetValueOrDefault(key);
    }

    private sealed class UpdateTxn(KvScheduler scheduler) : IUpdateOperations
    {
        public Dictionary<string, object?> Changes { get; } = new(StringComparer.Ordinal);

        public void Put(string key, object value) => Changes[key] = value;

        public void Delete(string key) => Changes[key] = null;

        public object? Get(string key) => Changes.TryGetValue(key, out var v) ? v : scheduler.GetDesired(key);
    }
}
