using Contiv.Agent.Config;
using Contiv.Agent.Controller;
using Contiv.Agent.Scheduler;
using Microsoft.Extensions.Time.Testing;

namespace Contiv.Agent.Tests.Controller;

/// <summary>Readiness follows the data plane's reachability; liveness fails when an event never finishes.</summary>
public sealed class EventLoopHealthTests : IDisposable
{
    private readonly KvScheduler _scheduler = new(sleep: _ => { });
    private readonly ControllerConfig _config = new() { EnableRetry = false, EnablePeriodicHealing = false, StuckEventLimit = TimeSpan.FromMinutes(2) };
    private readonly FakeTimeProvider _time = new();
    private readonly ManualResetEventSlim _release = new();
    private readonly EventLoop _loop;

    public EventLoopHealthTests()
    {
        _loop = new EventLoop(_scheduler, _config, time: _time);
        _loop.AddHandler(new BlockingHandler(_release));
        _loop.Start();
    }

    public void Dispose()
    {
        _release.Set();
        _loop.Dispose();
        _release.Dispose();
    }

    [Fact]
    public async Task Readiness_is_false_while_the_data_plane_is_reported_unreachable()
    {
        await Run(new DbResync(new KubeStateData()));
        Assert.True(_loop.IsReady);
        _loop.SetDownstreamProblem("data plane at /run/vpp-api.sock not answering");
        Assert.False(_loop.IsReady);
        Assert.True(_loop.IsAlive);
        Assert.Equal("data plane at /run/vpp-api.sock not answering", _loop.StateDetail);
        _loop.SetDownstreamProblem(null);
        Assert.True(_loop.IsReady);
    }

    [Fact]
    public async Task Liveness_fails_while_one_event_processes_beyond_the_limit()
    {
        await Run(new DbResync(new KubeStateData()));
        var stuck = new Stuck();
        _loop.Push(stuck);
        await WaitUntil(() => _loop.History().Count == 1 && _loop.StuckDetail() is null && stuck.Started);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(_loop.IsAlive);
        _time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.False(_loop.IsAlive);
        Assert.Contains("Stuck", _loop.StuckDetail(), StringComparison.Ordinal);

        _release.Set();
        await stuck.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_loop.IsAlive);
    }

    private async Task Run(AgentEvent ev)
    {
        _loop.Push(ev);
        await ev.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    private sealed class Stuck : AgentEvent
    {
        public volatile bool Started;

        public override string Name => "Stuck";

        public override EventMethod Method => EventMethod.Update;

        public override string ToString() => "Stuck";
    }

    private sealed class BlockingHandler(ManualResetEventSlim release) : IEventHandler
    {
        public string Name => "blocking";

        public bool HandlesEvent(AgentEvent ev) => true;

        public void Resync(AgentEvent ev, KubeStateData kubeState, int resyncCount, IResyncOperations txn)
        {
        }

        public string Update(AgentEvent ev, IUpdateOperations txn)
        {
            if (ev is Stuck s)
            {
                s.Started = true;
                release.Wait();
            }

            return "ok";
        }

        public void Revert(AgentEvent ev)
        {
        }
    }
}
