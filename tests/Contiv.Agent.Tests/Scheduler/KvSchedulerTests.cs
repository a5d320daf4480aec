using Contiv.Agent.Scheduler;
using Microsoft.Extensions.Time.Testing;

namespace Contiv.Agent.Tests.Scheduler;

/// <summary>
/// An in-memory "world" for scheduler logic: items are strings "value|dep1,dep2". The world refuses
/// to create an item whose dependencies do not exist and to delete one that something depends on,
/// so ordering mistakes fail the tests.
/// </summary>
internal sealed class WorldDescriptor(string name, string prefix, Dictionary<string, string> world, List<string> log) : KvDescriptor<string>
{
    public override string Name => name;

    public override string KeyPrefix => prefix;

    public HashSet<string> FailCreate { get; } = [];

    public int FailTimes { get; set; } = int.MaxValue;

    public bool Recreate { get; set; }

    public bool CanRetrieve { get; set; } = true;

    public override IEnumerable<string> Dependencies(string key, string value)
    {
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? [] : value[(bar + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
    }

    public override bool RequiresRecreate(string key, string oldValue, string newValue) => Recreate;

    public override void Create(string key, string value)
    {
        if (FailCreate.Contains(key) && FailTimes-- > 0)
        {
            log.Add($"fail-create {key}");
            throw new KvOperationException($"{key}: injected failure");
        }

        foreach (var d in Dependencies(key, value))
        {
            Assert.True(world.ContainsKey(d), $"{key} created before its dependency {d}");
        }

        Assert.False(world.ContainsKey(key), $"{key} created twice");
        world[key] = value;
        log.Add($"create {key}");
    }

    public override void Update(string key, string oldValue, string newValue)
    {
        Assert.True(world.ContainsKey(key), $"{key} updated but does not exist");
        foreach (var d in Dependencies(key, newValue))
        {
            Assert.True(world.ContainsKey(d), $"{key} updated before its dependency {d}");
        }

        world[key] = newValue;
        log.Add($"update {key}");
    }

    public override void Delete(string key, string value)
    {
        foreach (var (k, v) in world)
        {
            Assert.False(Dependencies(k, v).Contains(key), $"{key} deleted while {k} depends on it");
        }

        world.Remove(key);
        log.Add($"delete {key}");
    }

    public override IReadOnlyDictionary<string, string>? Retrieve(IReadOnlyDictionary<string, string> keysOfInterest, RetrieveContext context)
        => CanRetrieve ? world.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value) : null;
}

public class KvSchedulerTests
{
    private readonly Dictionary<string, string> _world = [];
    private readonly List<string> _log = [];
    private readonly WorldDescriptor _if;
    private readonly WorldDescriptor _route;
    private readonly KvScheduler _s;

    public KvSchedulerTests()
    {
        _if = new WorldDescriptor("if", "if/", _world, _log);
        _route = new WorldDescriptor("route", "route/", _world, _log);
        _s = new KvScheduler(sleep: _ => { });
        _s.Register(_if);
        _s.Register(_route);
    }

    private static Dictionary<string, object?> Changes(params (string Key, string? Value)[] items)
        => items.ToDictionary(i => i.Key, i => (object?)i.Value);

    [Fact]
    public void Creates_dependencies_first_regardless_of_key_order()
    {
        var r = _s.Update(Changes(("route/a", "r|if/x"), ("if/x", "x")), "t");
        Assert.True(r.Ok);
        Assert.Equal(["create if/x", "create route/a"], _log);
    }

    [Fact]
    public void Item_with_missing_dependency_stays_pending_and_is_created_when_it_appears()
    {
        Assert.True(_s.Update(Changes(("route/a", "r|if/x")), "t1").Ok);
        Assert.Empty(_world);
        Assert.Contains("route/a", _s.DumpPending().Keys);
        Assert.True(_s.Update(Changes(("if/x", "x")), "t2").Ok);
        Assert.Equal("r|if/x", _world["route/a"]);
        Assert.Empty(_s.DumpPending());
    }

    [Fact]
    public void Deletes_run_dependents_first()
    {
        _s.Update(Changes(("if/x", "x"), ("route/a", "r|if/x")), "t1");
        _log.Clear();
        Assert.True(_s.Update(Changes(("if/x", null), ("route/a", null)), "t2").Ok);
        Assert.Equal(["delete route/a", "delete if/x"], _log);
        Assert.Empty(_world);
    }

    [Fact]
    public void Deleting_a_dependency_alone_removes_and_parks_the_dependent_then_restores_it()
    {
        _s.Update(Changes(("if/x", "x"), ("route/a", "r|if/x")), "t1");
        var r = _s.Update(Changes(("if/x", null)), "t2");
        Assert.True(r.Ok);
        Assert.Empty(_world);
        Assert.Contains(r.Record.Operations, o => o.Key == "route/a" && o.Operation == KvOp.Delete && o.Cascade);
        Assert.True(_s.Update(Changes(("if/x", "x")), "t3").Ok);
        Assert.Equal("r|if/x", _world["route/a"]);
    }

    [Fact]
    public void Dependent_is_updated_away_before_its_old_dependency_is_deleted()
    {
        // A bridge domain listing members: the member leaves the BD before the member is deleted.
        _s.Update(Changes(("if/t1", "t1"), ("if/t2", "t2"), ("route/bd", "bd|if/t1,if/t2")), "t1");
        _log.Clear();
        Assert.True(_s.Update(Changes(("if/t2", null), ("route/bd", "bd|if/t1")), "t2").Ok);
        Assert.Equal(["update route/bd", "delete if/t2"], _log);
    }

    [Fact]
    public void Equivalent_value_causes_no_operation()
    {
        _s.Update(Changes(("if/x", "x")), "t1");
        _log.Clear();
        var r = _s.Update(Changes(("if/x", "x")), "t2");
        Assert.Empty(r.Record.Operations);
        Assert.Empty(_log);
    }

    [Fact]
    public void Recreate_deletes_dependents_and_recreates_them_after()
    {
        _s.Update(Changes(("if/x", "x"), ("route/a", "r|if/x")), "t1");
        _log.Clear();
        _if.Recreate = true;
        Assert.True(_s.Update(Changes(("if/x", "x2")), "t2").Ok);
        Assert.Equal(["delete route/a", "delete if/x", "create if/x", "create route/a"], _log);
    }

    [Fact]
    public void Transient_failures_are_retried_within_the_commit()
    {
        _if.FailCreate.Add("if/x");
        _if.FailTimes = 2;
        var r = _s.Update(Changes(("if/x", "x"), ("route/a", "r|if/x")), "t", retry: new RetryPolicy(3, TimeSpan.FromMilliseconds(1), true));
        Assert.True(r.Ok);
        Assert.Equal(3, r.Record.Operations.Count(o => o.Key == "if/x"));
        Assert.Equal("r|if/x", _world["route/a"]);
    }

    [Fact]
    public async Task Retry_waits_for_its_delay_on_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        var s = new KvScheduler(time: time);
        var world = new Dictionary<string, string>();
        var d = new WorldDescriptor("if", "if/", world, _log) { FailTimes = 1 };
        d.FailCreate.Add("if/x");
        s.Register(d);
        var commit = Task.Run(() => s.Update(Changes(("if/x", "x")), "t", retry: new RetryPolicy(1, TimeSpan.FromSeconds(10), false)));
        await WaitUntil(() => _log.Contains("fail-create if/x"));
        await Task.Delay(100); // lets the commit reach its wait
        time.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(50); // a commit that did not wait for the clock would finish now
        Assert.False(commit.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        var r = await commit.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(r.Ok);
        Assert.Equal(time.Start, r.Record.Start);
        Assert.Equal(time.Start + TimeSpan.FromSeconds(10), r.Record.End);
    }

    [Fact]
    public void Failure_without_retry_is_reported_and_dependent_stays_pending()
    {
        _if.FailCreate.Add("if/x");
        var r = _s.Update(Changes(("if/x", "x"), ("route/a", "r|if/x")), "t");
        Assert.False(r.Ok);
        Assert.Contains("injected failure", r.Failures["if/x"], StringComparison.Ordinal);
        Assert.Empty(_world);
    }

    [Fact]
    public void Update_transaction_does_not_retry_unrelated_failed_items()
    {
        _if.FailCreate.Add("if/bad");
        Assert.False(_s.Update(Changes(("if/bad", "b")), "t1").Ok);
        _log.Clear();
        var r = _s.Update(Changes(("if/ok", "o")), "t2");
        Assert.True(r.Ok);
        Assert.Equal(["create if/ok"], _log);
        // A full resync does retry it.
        _if.FailCreate.Clear();
        Assert.True(_s.Resync(TxnKind.DownstreamResync, null, "heal").Ok);
        Assert.Equal("b", _world["if/bad"]);
    }

    [Fact]
    public void Revert_on_failure_undoes_what_the_transaction_already_did()
    {
        _s.Update(Changes(("if/base", "b")), "t0");
        _if.FailCreate.Add("if/y");
        var r = _s.Update(Changes(("if/x", "x"), ("route/a", "r|if/x"), ("if/y", "y")), "t1", revertOnFailure: true);
        Assert.False(r.Ok);
        Assert.Equal(["if/base"], _world.Keys);
        Assert.Null(_s.GetDesired("if/x"));
        Assert.Contains(r.Record.Operations, o => o.IsRevert && o.Key == "if/x" && o.Operation == KvOp.Delete);
    }

    [Fact]
    public void Full_resync_corrects_only_the_difference_to_what_really_exists()
    {
        _s.Update(Changes(("if/x", "x"), ("if/y", "y"), ("route/a", "r|if/x")), "t1");
        // The world drifts: y vanished, a stray item appeared, x changed behind our back.
        _world.Remove("if/y");
        _world["if/stray"] = "s";
        _world["if/x"] = "changed";
        _log.Clear();
        var desired = new Dictionary<string, object> { ["if/x"] = "x", ["if/y"] = "y", ["route/a"] = "r|if/x" };
        var r = _s.Resync(TxnKind.FullResync, desired, "resync");
        Assert.True(r.Ok);
        Assert.Equal(["create if/y", "delete if/stray", "update if/x"], _log.Order(StringComparer.Ordinal));
        Assert.Equal("x", _world["if/x"]);
    }

    [Fact]
    public void Full_resync_after_restart_with_identical_world_does_nothing()
    {
        _world["if/x"] = "x";
        _world["route/a"] = "r|if/x";
        var fresh = new KvScheduler();
        fresh.Register(_if);
        fresh.Register(_route);
        var r = fresh.Resync(TxnKind.FullResync, new Dictionary<string, object> { ["if/x"] = "x", ["route/a"] = "r|if/x" }, "startup");
        Assert.True(r.Ok);
        Assert.Empty(r.Record.Operations);
    }

    [Fact]
    public void Upstream_resync_removes_items_missing_from_the_new_desired_state_without_reading_back()
    {
        _s.Update(Changes(("if/x", "x"), ("if/y", "y")), "t1");
        _world["if/stray"] = "s";
        var r = _s.Resync(TxnKind.UpstreamResync, new Dictionary<string, object> { ["if/x"] = "x" }, "up");
        Assert.True(r.Ok);
        Assert.Equal(["if/stray", "if/x"], _world.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Derived_items_follow_their_parent()
    {
        var derivedWorld = new Dictionary<string, string>();
        var parent = new ParentDescriptor();
        var child = new WorldDescriptor("child", "child/", derivedWorld, _log);
        var s = new KvScheduler();
        s.Register(parent);
        s.Register(child);
        Assert.True(s.Update(Changes(("parent/p", "p")), "t1").Ok);
        Assert.Equal(["child/p-1", "child/p-2"], derivedWorld.Keys.Order(StringComparer.Ordinal));
        Assert.True(s.Update(Changes(("parent/p", null)), "t2").Ok);
        Assert.Empty(derivedWorld);
        Assert.False(parent.Exists);
    }

    [Fact]
    public void Unknown_key_prefix_fails_the_transaction_and_changes_nothing()
    {
        _s.Update(Changes(("if/x", "x")), "t1");
        var r = _s.Update(Changes(("bogus/k", "v"), ("if/x", null)), "t2");
        Assert.False(r.Ok);
        Assert.Contains("bogus/k", r.Record.Error, StringComparison.Ordinal);
        Assert.True(_world.ContainsKey("if/x"));
    }

    [Fact]
    public void Value_of_the_wrong_type_fails_the_transaction_naming_the_key_and_changes_nothing()
    {
        _s.Update(Changes(("if/x", "x")), "t1");
        var r = _s.Update(new Dictionary<string, object?> { ["if/y"] = 42, ["if/x"] = null }, "t2");
        Assert.False(r.Ok);
        Assert.Contains("if/y", r.Record.Error, StringComparison.Ordinal);
        Assert.Contains("Int32", r.Record.Error, StringComparison.Ordinal);
        Assert.True(_world.ContainsKey("if/x"));
        Assert.Null(_s.GetDesired("if/y"));
    }

    [Fact]
    public void Batching_descriptor_registered_as_a_plain_one_is_refused()
    {
        IKvDescriptor<string> plain = new DataPlaneDescriptor("dp", "dp/", new BatchWorld());
        var e = Assert.Throws<ArgumentException>(() => new KvScheduler().Register(plain));
        Assert.Contains("dp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void History_records_every_transaction_with_its_operations()
    {
        _s.Update(Changes(("if/x", "x")), "first");
        _s.Update(Changes(("if/x", null)), "second");
        var h = _s.History();
        Assert.Equal(["first", "second"], h.Select(t => t.Description));
        Assert.Equal(KvOp.Delete, h[1].Operations.Single().Operation);
        Assert.True(h[1].SeqNum > h[0].SeqNum);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "condition not met within 10 s");
    }

    private sealed class ParentDescriptor : KvDescriptor<string>
    {
        public bool Exists { get; private set; }

        public override string Name => "parent";

        public override string KeyPrefix => "parent/";

        public override IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, string value)
            => [KeyValuePair.Create($"child/{value}-1", (object)"c1"), KeyValuePair.Create($"child/{value}-2", (object)"c2")];

        public override void Create(string key, string value) => Exists = true;

        public override void Delete(string key, string value) => Exists = false;
    }
}
