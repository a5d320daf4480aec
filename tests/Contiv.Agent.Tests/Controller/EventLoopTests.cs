using Contiv.Agent.Config;
using Contiv.Agent.Controller;
using Contiv.Agent.Scheduler;
using Microsoft.Extensions.Time.Testing;

namespace Contiv.Agent.Tests.Controller;

public class EventLoopTests : IDisposable
{
    private readonly Dictionary<string, string> _world = [];
    private readonly List<string> _ops = [];
    private readonly KvScheduler _scheduler = new(sleep: _ => { });
    private readonly List<string> _calls = [];
    private readonly ControllerConfig _config = new() { DelayAfterErrorHealing = TimeSpan.FromSeconds(5), EnableRetry = false, EnablePeriodicHealing = false };
    private readonly FakeTimeProvider _time = new();
    private EventLoop? _loop;

    public EventLoopTests()
    {
        _scheduler.Register(new Scheduler.WorldDescriptor("item", "item/", _world, _ops));
    }

    public void Dispose()
    {
        _loop?.Dispose();
        GC.SuppressFinalize(this);
    }

    private EventLoop Start(params IEventHandler[] handlers)
    {
        _loop = new EventLoop(_scheduler, _config, time: _time);
        foreach (var h in handlers)
        {
            _loop.AddHandler(h);
        }

        _loop.Start();
        return _loop;
    }

    private static async Task Run(EventLoop loop, AgentEvent ev)
    {
        loop.Push(ev);
        await ev.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Events_before_the_startup_resync_wait_for_it()
    {
        var h = new RecordingHandler("h", _calls);
        var loop = Start(h);
        var early = new TestUpdate("early");
        loop.Push(early);
        await Task.Delay(100);
        Assert.Empty(_calls);
        Assert.False(loop.IsReady);
        await Run(loop, new DbResync(new KubeStateData()));
        await early.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["h:resync", "h:update early"], _calls);
        Assert.True(loop.IsReady);
        Assert.Equal(0, loop.History()[0].SeqNum);
        Assert.Equal("DB Resync", loop.History()[0].Name);
    }

    [Fact]
    public async Task Handlers_run_forward_and_reverse_for_reverse_events()
    {
        var loop = Start(new RecordingHandler("a", _calls), new RecordingHandler("b", _calls));
        await Run(loop, new DbResync(new KubeStateData()));
        _calls.Clear();
        await Run(loop, new TestUpdate("fwd"));
        await Run(loop, new TestUpdate("rev") { Dir = EventDirection.Reverse });
        Assert.Equal(["a:update fwd", "b:update fwd", "b:update rev", "a:update rev"], _calls);
    }

    [Fact]
    public async Task Follow_up_events_run_before_queued_events()
    {
        EventLoop? loop = null;
        var h = new RecordingHandler("h", _calls)
        {
            OnUpdate = (ev, _) =>
            {
                if (ev is TestUpdate { Label: "first" })
                {
                    loop!.Push(new TestUpdate("followup"));
                    Thread.Sleep(100); // let "second" arrive in the queue meanwhile
                }
            },
        };
        loop = Start(h);
        await Run(loop, new DbResync(new KubeStateData()));
        _calls.Clear();
        var first = new TestUpdate("first");
        var second = new TestUpdate("second");
        loop.Push(first);
        loop.Push(second);
        await second.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["h:update first", "h:update followup", "h:update second"], _calls);
        var followUp = loop.History().Single(r => r.Description == "followup");
        Assert.True(followUp.IsFollowUp);
        Assert.Equal(loop.History().Single(r => r.Description == "first").SeqNum, followUp.FollowUpTo);
    }

    [Fact]
    public async Task Blocking_event_from_inside_the_loop_is_refused()
    {
        Exception? seen = null;
        EventLoop? loop = null;
        var h = new RecordingHandler("h", _calls)
        {
            OnUpdate = (_, _) =>
            {
                try
                {
                    loop!.Push(new TestUpdate("inner") { Blocking = true });
                }
                catch (InvalidOperationException e)
                {
                    seen = e;
                }
            },
        };
        loop = Start(h);
        await Run(loop, new DbResync(new KubeStateData()));
        await Run(loop, new TestUpdate("outer"));
        Assert.NotNull(seen);
    }

    [Fact]
    public async Task Resync_puts_become_the_whole_desired_state()
    {
        var h = new RecordingHandler("h", _calls) { ResyncItems = { ["item/a"] = "a", ["item/b"] = "b" } };
        var loop = Start(h);
        await Run(loop, new DbResync(new KubeStateData()));
        Assert.Equal(["item/a", "item/b"], _world.Keys.Order(StringComparer.Ordinal));
        h.ResyncItems.Remove("item/b");
        await Run(loop, new DbResync(new KubeStateData()));
        Assert.Equal(["item/a"], _world.Keys);
    }

    [Fact]
    public async Task Revert_on_failure_undoes_handlers_and_configuration()
    {
        var a = new RecordingHandler("a", _calls) { OnUpdate = (_, txn) => txn.Put("item/x", "x") };
        var b = new RecordingHandler("b", _calls) { OnUpdate = (_, _) => throw new InvalidOperationException("b refuses") };
        var loop = Start(a, b);
        await Run(loop, new DbResync(new KubeStateData()));
        _calls.Clear();
        var ev = new TestUpdate("add") { Txn = UpdateTransactionType.RevertOnFailure, Blocking = true };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Run(loop, ev));
        Assert.Equal("b refuses", e.Message);
        Assert.Empty(_world);
        Assert.Equal(["a:update add", "b:update add", "b:revert add", "a:revert add"], _calls);
        Assert.True(loop.IsReady);
    }

    [Fact]
    public async Task Failed_transaction_of_revert_event_leaves_nothing_behind()
    {
        var a = new RecordingHandler("a", _calls) { OnUpdate = (_, txn) => { txn.Put("item/x", "x"); txn.Put("item/y", "y|item/missing"); txn.Put("item/z", "z|item/x,item/y"); } };
        var loop = Start(a);
        await Run(loop, new DbResync(new KubeStateData()));
        var bad = new Scheduler.WorldDescriptor("bad", "item/bad", _world, _ops);
        _scheduler.Register(bad);
        bad.FailCreate.Add("item/bad1");
        a.OnUpdate = (_, txn) => { txn.Put("item/x", "x"); txn.Put("item/bad1", "b|item/x"); };
        var ev = new TestUpdate("add") { Txn = UpdateTransactionType.RevertOnFailure };
        await Assert.ThrowsAnyAsync<Exception>(() => Run(loop, ev));
        Assert.Empty(_world);
        Assert.Contains("a:revert add", _calls);
    }

    [Fact]
    public async Task Best_effort_failure_schedules_a_healing_resync_that_fixes_things()
    {
        var fail = true;
        var h = new RecordingHandler("h", _calls)
        {
            OnUpdate = (_, _) =>
            {
                if (fail)
                {
                    throw new InvalidOperationException("transient");
                }
            },
        };
        var loop = Start(h);
        await Run(loop, new DbResync(new KubeStateData()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Run(loop, new TestUpdate("u")));
        Assert.Equal(LoopState.Degraded, loop.State);
        fail = false;
        _time.Advance(_config.DelayAfterErrorHealing - TimeSpan.FromMilliseconds(1));
        await Run(loop, new TestUpdate("before the healing delay"));
        Assert.DoesNotContain(loop.History(), r => r.Name == "Healing Resync");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntil(() => loop.History().Any(r => r.Name == "Healing Resync"));
        await WaitUntil(() => loop.State == LoopState.Ready);
        Assert.Equal(EventMethod.FullResync, loop.History().Last(r => r.Name == "Healing Resync").Method);
    }

    [Fact]
    public async Task Failing_healing_makes_the_loop_fatal()
    {
        var h = new RecordingHandler("h", _calls);
        var loop = Start(h);
        await Run(loop, new DbResync(new KubeStateData()));
        h.FailResync = true;
        h.OnUpdate = (_, _) => throw new InvalidOperationException("broken");
        await Assert.ThrowsAsync<InvalidOperationException>(() => Run(loop, new TestUpdate("u")));
        _time.Advance(_config.DelayAfterErrorHealing);
        await WaitUntil(() => loop.State == LoopState.Fatal);
        Assert.False(loop.IsReady);
        Assert.False(loop.IsAlive);
    }

    [Fact]
    public async Task Ignore_errors_events_do_not_trigger_healing()
    {
        var h = new RecordingHandler("h", _calls) { OnUpdate = (_, _) => throw new InvalidOperationException("meh") };
        var loop = Start(h);
        await Run(loop, new DbResync(new KubeStateData()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Run(loop, new TestUpdate("d") { Txn = UpdateTransactionType.BestEffortIgnoreErrors }));
        _time.Advance(_config.DelayAfterErrorHealing * 2);
        await Run(loop, new DbResync(new KubeStateData())); // a healing pushed by the timer would have run before it
        Assert.DoesNotContain(loop.History(), r => r.Name == "Healing Resync");
        Assert.Equal(LoopState.Ready, loop.State);
    }

    [Fact]
    public async Task An_idle_loop_with_the_default_configuration_never_resyncs()
    {
        var config = new ControllerConfig();
        Assert.False(config.EnablePeriodicHealing);
        var h = new RecordingHandler("h", _calls);
        _loop = new EventLoop(_scheduler, config, time: _time);
        _loop.AddHandler(h);
        _loop.Start();
        await Run(_loop, new DbResync(new KubeStateData()));
        _calls.Clear();
        for (var i = 0; i < 10; i++)
        {
            _time.Advance(config.PeriodicHealingInterval);
        }

        await Run(_loop, new TestUpdate("probe")); // a healing pushed by a timer would have run before it
        Assert.Equal(["h:update probe"], _calls);
        Assert.DoesNotContain(_loop.History(), r => r.Name.Contains("Healing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Periodic_healing_when_enabled_resyncs_downstream_every_interval()
    {
        _config.EnablePeriodicHealing = true;
        _config.PeriodicHealingInterval = TimeSpan.FromSeconds(30);
        var loop = Start(new RecordingHandler("h", _calls));
        await Run(loop, new DbResync(new KubeStateData()));
        _time.Advance(TimeSpan.FromSeconds(29));
        await Run(loop, new TestUpdate("before"));
        Assert.DoesNotContain(loop.History(), r => r.Name == "Healing Resync");
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => loop.History().Count(r => r.Name == "Healing Resync") == 1);
        Assert.Equal(EventMethod.DownstreamResync, loop.History().Last(r => r.Name == "Healing Resync").Method);
        _time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntil(() => loop.History().Count(r => r.Name == "Healing Resync") == 2);
    }

    [Fact]
    public void Missing_startup_resync_fails_liveness_after_the_deadline()
    {
        _config.StartupResyncDeadline = TimeSpan.FromSeconds(30);
        var loop = Start();
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(loop.IsAlive);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(loop.IsAlive);
        Assert.False(loop.IsReady);
    }

    [Fact]
    public async Task Queue_refuses_events_beyond_its_capacity()
    {
        var gate = new ManualResetEventSlim();
        var h = new RecordingHandler("h", _calls) { OnUpdate = (_, _) => gate.Wait(TimeSpan.FromSeconds(10)) };
        var loop = Start(h);
        await Run(loop, new DbResync(new KubeStateData()));
        loop.Push(new TestUpdate("blocker"));
        await WaitUntil(() =>
        {
            lock (_calls)
            {
                return _calls.Contains("h:update blocker"); // taken off the queue: the loop is stuck in it
            }
        });
        for (var i = 0; i < EventLoop.QueueCapacity; i++)
        {
            loop.Push(new TestUpdate($"e{i}"));
        }

        var e = Assert.Throws<InvalidOperationException>(() => loop.Push(new TestUpdate("overflow")));
        Assert.Contains("queue full", e.Message, StringComparison.Ordinal);
        gate.Set();
    }

    [Fact]
    public async Task History_queries_follow_the_rest_precedence()
    {
        var loop = Start(new RecordingHandler("h", _calls));
        await Run(loop, new DbResync(new KubeStateData()));
        for (var i = 0; i < 5; i++)
        {
            await Run(loop, new TestUpdate($"u{i}"));
        }

        Assert.Single(loop.History(seqNum: 3));
        Assert.Equal([2L, 3L], loop.History(from: 2, to: 3).Select(r => r.SeqNum));
        Assert.Equal([0L, 1L], loop.History(first: 2).Select(r => r.SeqNum));
        Assert.Equal([5L], loop.History(last: 1).Select(r => r.SeqNum));
        Assert.Equal([4L], loop.History(seqNum: 4, first: 2).Select(r => r.SeqNum));
        Assert.Equal(6, loop.History().Count);
    }

    [Fact]
    public async Task History_ages_out_after_the_permanently_recorded_period()
    {
        _config.PermanentlyRecordedInitPeriod = 10;
        _config.EventHistoryAgeLimit = 60;
        var loop = Start(new RecordingHandler("h", _calls));
        await Run(loop, new DbResync(new KubeStateData())); // #0, in the permanent period
        _time.Advance(TimeSpan.FromMinutes(11));
        await Run(loop, new TestUpdate("u0")); // #1 and #2 at 11 min
        await Run(loop, new TestUpdate("u1"));
        _time.Advance(TimeSpan.FromMinutes(30));
        await Run(loop, new TestUpdate("u2")); // #3 at 41 min
        Assert.Equal([0L, 1L, 2L, 3L], loop.History().Select(r => r.SeqNum));

        _time.Advance(TimeSpan.FromMinutes(31));
        await Run(loop, new TestUpdate("u3")); // #4 at 72 min: #1 and #2 are older than 60 min now

        Assert.Equal([0L, 3L, 4L], loop.History().Select(r => r.SeqNum));
    }

    [Fact]
    public async Task History_of_the_initial_period_is_kept_while_later_records_age_out()
    {
        _config.PermanentlyRecordedInitPeriod = 10;
        _config.EventHistoryAgeLimit = 0;
        var loop = Start(new RecordingHandler("h", _calls));
        await Run(loop, new DbResync(new KubeStateData()));
        for (var i = 0; i < 5; i++)
        {
            await Run(loop, new TestUpdate($"u{i}"));
        }

        _time.Advance(TimeSpan.FromMinutes(11));
        await Run(loop, new TestUpdate("late")); // #6
        _time.Advance(TimeSpan.FromSeconds(1));
        await Run(loop, new TestUpdate("later")); // #7: #6 is past the age limit of 0

        Assert.Equal([0L, 1L, 2L, 3L, 4L, 5L, 7L], loop.History().Select(r => r.SeqNum));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    private sealed class TestUpdate(string label) : AgentEvent
    {
        public string Label { get; } = label;

        public EventDirection Dir { get; init; } = EventDirection.Forward;

        public UpdateTransactionType Txn { get; init; } = UpdateTransactionType.BestEffort;

        public bool Blocking { get; init; }

        public override string Name => "Test Update";

        public override EventMethod Method => EventMethod.Update;

        public override EventDirection Direction => Dir;

        public override UpdateTransactionType TransactionType => Txn;

        public override bool IsBlocking => Blocking;

        public override string ToString() => Label;
    }

    private sealed class RecordingHandler(string name, List<string> calls) : IEventHandler
    {
        public Action<AgentEvent, IUpdateOperations>? OnUpdate { get; set; }

        public Dictionary<string, string> ResyncItems { get; } = [];

        public bool FailResync { get; set; }

        public string Name => name;

        public bool HandlesEvent(AgentEvent ev) => true;

        public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
        {
            if (FailResync)
            {
                throw new InvalidOperationException($"{name} cannot resync");
            }

            lock (calls)
            {
                calls.Add($"{name}:resync");
            }

            foreach (var (k, v) in ResyncItems)
            {
                txn.Put(k, v);
            }
        }

        public string Update(AgentEvent ev, IUpdateOperations txn)
        {
            lock (calls)
            {
                calls.Add($"{name}:update {ev}");
            }

            OnUpdate?.Invoke(ev, txn);
            return "ok";
        }

        public void Revert(AgentEvent ev)
        {
            lock (calls)
            {
                calls.Add($"{name}:revert {ev}");
            }
        }
    }
}
