using Contiv.Agent.Scheduler;

namespace Contiv.Agent.Tests.Scheduler;

/// <summary>
/// Operation batching: data plane items (interface, ARP entry, route) go to the shared executor together,
/// Linux items (non-batching) run around the batches in dependency order.
/// </summary>
public class KvSchedulerBatchTests
{
    private static readonly RetryPolicy Retries = new(3, TimeSpan.FromMilliseconds(1), false);

    private readonly BatchWorld _world = new();
    private readonly KvScheduler _s;

    public KvSchedulerBatchTests()
    {
        _s = new KvScheduler(sleep: _ => { });
        _s.Register(new DataPlaneDescriptor("dp-interface", "dp/if/", _world));
        _s.Register(new DataPlaneDescriptor("dp-arp", "dp/arp/", _world));
        _s.Register(new DataPlaneDescriptor("dp-route", "dp/route/", _world));
        _s.Register(new LinuxDescriptor("lx-address", "lx/addr/", _world));
    }

    /// <summary>A pod's four items: its data plane interface, an ARP entry and a route on it, and a Linux address needing it.</summary>
    private static Dictionary<string, string> Pod(string pod) => new(StringComparer.Ordinal)
    {
        [$"dp/if/{pod}"] = $"tap-{pod}",
        [$"dp/arp/{pod}"] = $"arp-{pod}|dp/if/{pod}",
        [$"dp/route/{pod}"] = $"route-{pod}|dp/if/{pod}",
        [$"lx/addr/{pod}"] = $"addr-{pod}|dp/if/{pod}",
    };

    private static Dictionary<string, object?> Create(params Dictionary<string, string>[] items)
        => items.SelectMany(i => i).ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal);

    private static Dictionary<string, object?> Delete(params Dictionary<string, string>[] items)
        => items.SelectMany(i => i).ToDictionary(kv => kv.Key, _ => (object?)null, StringComparer.Ordinal);

    private static string[] Keys(List<DpOperation> call) => [.. call.Select(o => o.Key)];

    [Fact]
    public void Pod_items_created_in_one_transaction_reach_the_data_plane_in_one_batch_before_the_linux_side()
    {
        var r = _s.Update(Create(Pod("a")), "add pod a");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        var call = Assert.Single(_world.Calls);
        Assert.Equal("dp/if/a", call[0].Key);
        Assert.Equal(["dp/arp/a", "dp/if/a", "dp/route/a"], Keys(call).Order(StringComparer.Ordinal));
        Assert.All(call, o => Assert.Equal(KvOp.Create, o.Op));
        Assert.Equal(["execute create dp/if/a, create dp/arp/a, create dp/route/a", "lx create lx/addr/a"], _world.Log);
        foreach (var (k, v) in Pod("a"))
        {
            Assert.Equal(v, _s.GetApplied(k));
            Assert.Equal(v, _world.Items[k]);
        }

        Assert.Equal(4, r.Record.Operations.Count);
        Assert.All(r.Record.Operations, o => Assert.Null(o.Error));
        Assert.Equal("lx/addr/a", r.Record.Operations[^1].Key);
    }

    [Fact]
    public void Deleting_a_pod_removes_the_linux_side_first_then_the_data_plane_in_one_batch_dependents_first()
    {
        Assert.True(_s.Update(Create(Pod("a")), "add pod a").Ok);
        _world.Calls.Clear();
        _world.Log.Clear();

        var r = _s.Update(Delete(Pod("a")), "delete pod a");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        Assert.Equal("lx delete lx/addr/a", _world.Log[0]);
        var call = Assert.Single(_world.Calls);
        Assert.Equal(3, call.Count);
        Assert.All(call, o => Assert.Equal(KvOp.Delete, o.Op));
        Assert.Equal("dp/if/a", call[^1].Key);
        Assert.Equal(2, _world.Log.Count);
        Assert.Empty(_world.Items);
        Assert.Empty(_s.DumpApplied());
        Assert.Equal(4, r.Record.Operations.Count(o => o.Operation == KvOp.Delete && o.Error is null));
    }

    [Fact]
    public void Failed_interface_create_skips_the_rest_of_the_batch_and_reports_only_the_interface()
    {
        _world.FailOn["dp/if/a"] = (false, int.MaxValue);

        // Retries are allowed, but a non-transient failure must not be retried.
        var r = _s.Update(Create(Pod("a")), "add pod a", retry: Retries);

        Assert.False(r.Ok);
        Assert.Empty(_world.Violations);
        var call = Assert.Single(_world.Calls);
        Assert.Equal(["dp/arp/a", "dp/if/a", "dp/route/a"], Keys(call).Order(StringComparer.Ordinal));
        Assert.Equal(["dp/if/a"], r.Failures.Keys);
        Assert.Contains("injected data plane failure", r.Failures["dp/if/a"], StringComparison.Ordinal);
        Assert.DoesNotContain(_world.Log, l => l.StartsWith("lx ", StringComparison.Ordinal));
        foreach (var k in Pod("a").Keys)
        {
            Assert.Null(_s.GetApplied(k));
        }

        Assert.Empty(_world.Items);
        var op = Assert.Single(r.Record.Operations);
        Assert.Equal(("dp/if/a", KvOp.Create), (op.Key, op.Operation));
        Assert.Contains("injected data plane failure", op.Error, StringComparison.Ordinal);
        Assert.Contains("dp/if/a", r.Record.Error, StringComparison.Ordinal);
        var pending = _s.DumpPending();
        Assert.Contains("injected data plane failure", pending["dp/if/a"], StringComparison.Ordinal);
        Assert.Contains("dp/if/a", pending["lx/addr/a"], StringComparison.Ordinal);
        Assert.Contains("dp/if/a", pending["dp/arp/a"], StringComparison.Ordinal);
    }

    [Fact]
    public void Transient_failure_of_one_batched_op_is_retried_alone()
    {
        _world.FailOn["dp/route/a"] = (true, 1);

        var r = _s.Update(Create(Pod("a")), "add pod a", retry: Retries);

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        Assert.Equal(2, _world.Calls.Count);
        Assert.Equal("dp/route/a", _world.Calls[0][^1].Key);
        Assert.Equal([new DpOperation(KvOp.Create, "dp/route/a", "route-a|dp/if/a")], _world.Calls[1]);
        foreach (var (k, v) in Pod("a"))
        {
            Assert.Equal(v, _s.GetApplied(k));
            Assert.Equal(v, _world.Items[k]);
        }

        var routeOps = r.Record.Operations.Where(o => o.Key == "dp/route/a").ToList();
        Assert.Equal(2, routeOps.Count);
        Assert.Equal((1, true), (routeOps[0].Attempt, routeOps[0].Error is not null));
        Assert.Equal((2, true), (routeOps[1].Attempt, routeOps[1].Error is null));
        Assert.Single(r.Record.Operations, o => o.Key == "dp/if/a");
    }

    [Fact]
    public void Items_of_independent_pods_share_one_batch()
    {
        var r = _s.Update(Create(Pod("a"), Pod("b")), "add pods a and b");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        var call = Assert.Single(_world.Calls);
        Assert.Equal(
            ["dp/arp/a", "dp/arp/b", "dp/if/a", "dp/if/b", "dp/route/a", "dp/route/b"],
            Keys(call).Order(StringComparer.Ordinal));
        Assert.StartsWith("execute ", _world.Log[0], StringComparison.Ordinal);
        Assert.Equal(["lx create lx/addr/a", "lx create lx/addr/b"], _world.Log.Skip(1).Order(StringComparer.Ordinal));
        Assert.Equal(8, r.Record.Operations.Count);
        Assert.Equal(8, _world.Items.Count);
    }

    [Fact]
    public void Full_resync_with_descriptors_that_cannot_read_back_trusts_the_applied_state_and_batches_the_difference()
    {
        Assert.True(_s.Update(Create(Pod("a")), "add pod a").Ok);
        _world.Calls.Clear();
        _world.Log.Clear();

        var desired = Create(Pod("a"), Pod("b")).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
        var r = _s.Resync(TxnKind.FullResync, desired, "resync");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);

        // Pod a is trusted as applied (no read-back): nothing is redone for it.
        Assert.DoesNotContain(r.Record.Operations, o => o.Key.EndsWith("/a", StringComparison.Ordinal));
        var call = Assert.Single(_world.Calls);
        Assert.Equal(["dp/arp/b", "dp/if/b", "dp/route/b"], Keys(call).Order(StringComparer.Ordinal));
        Assert.Equal("dp/if/b", call[0].Key);
        Assert.Equal("lx create lx/addr/b", _world.Log[^1]);
        Assert.Equal(8, _world.Items.Count);
        Assert.Equal(8, _s.DumpApplied().Count);
    }

    [Fact]
    public void Full_resync_removing_one_pod_and_adding_another_keeps_dependency_order()
    {
        Assert.True(_s.Update(Create(Pod("a")), "add pod a").Ok);
        _world.Calls.Clear();
        _world.Log.Clear();

        var desired = Create(Pod("b")).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
        var r = _s.Resync(TxnKind.FullResync, desired, "resync");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        Assert.Equal(Pod("b").OrderBy(kv => kv.Key, StringComparer.Ordinal), _world.Items.OrderBy(kv => kv.Key, StringComparer.Ordinal));

        // Every data plane operation went through the executor, each exactly once.
        var dpOps = _world.Calls.SelectMany(c => c).ToList();
        Assert.Equal(6, dpOps.Count);
        Assert.Equal(3, dpOps.Count(o => o.Op == KvOp.Delete && o.Key.EndsWith("/a", StringComparison.Ordinal)));
        Assert.Equal(3, dpOps.Count(o => o.Op == KvOp.Create && o.Key.EndsWith("/b", StringComparison.Ordinal)));
        Assert.DoesNotContain(_world.Log, l => l.StartsWith("direct ", StringComparison.Ordinal));
        Assert.Equal(8, r.Record.Operations.Count);
    }

    [Fact]
    public void Executor_exception_fails_every_queued_operation_and_applies_nothing()
    {
        _world.ThrowTimes = int.MaxValue;

        var r = _s.Update(Create(Pod("a")), "add pod a");

        Assert.False(r.Ok);
        Assert.Empty(_world.Violations);
        Assert.Single(_world.Calls);
        Assert.Equal(["dp/arp/a", "dp/if/a", "dp/route/a"], r.Failures.Keys.Order(StringComparer.Ordinal));
        Assert.All(r.Failures.Values, e => Assert.Contains("data plane connection lost", e, StringComparison.Ordinal));
        foreach (var k in Pod("a").Keys)
        {
            Assert.Null(_s.GetApplied(k));
        }

        Assert.Empty(_world.Items);
        Assert.Equal(3, r.Record.Operations.Count(o => o.Error is not null));
        Assert.DoesNotContain(r.Record.Operations, o => o.Key == "lx/addr/a");
    }

    [Fact]
    public void Executor_exception_counts_as_transient_and_the_batch_is_retried()
    {
        _world.ThrowTimes = 1;

        var r = _s.Update(Create(Pod("a")), "add pod a", retry: Retries);

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        Assert.Equal(2, _world.Calls.Count);
        Assert.Equal(Keys(_world.Calls[0]), Keys(_world.Calls[1]));
        Assert.Equal(4, _world.Items.Count);
        Assert.Equal("lx create lx/addr/a", _world.Log[^1]);
    }

    [Fact]
    public void In_place_change_of_a_batched_item_goes_to_the_executor_as_an_update()
    {
        Assert.True(_s.Update(Create(Pod("a")), "add pod a").Ok);
        _world.Calls.Clear();
        _world.Log.Clear();

        var r = _s.Update(new Dictionary<string, object?> { ["dp/route/a"] = "route-a2|dp/if/a" }, "change route");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        Assert.Equal([new DpOperation(KvOp.Update, "dp/route/a", "route-a2|dp/if/a")], Assert.Single(_world.Calls));
        Assert.Equal("route-a2|dp/if/a", _world.Items["dp/route/a"]);
        Assert.Equal("route-a2|dp/if/a", _s.GetApplied("dp/route/a"));
        Assert.Equal(KvOp.Update, Assert.Single(r.Record.Operations).Operation);
    }

    [Fact]
    public void Removing_only_the_interface_deletes_its_dependents_first_and_re_adding_it_restores_them_in_one_batch()
    {
        Assert.True(_s.Update(Create(Pod("a")), "add pod a").Ok);
        _world.Calls.Clear();
        _world.Log.Clear();

        var r = _s.Update(new Dictionary<string, object?> { ["dp/if/a"] = null }, "interface gone");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        Assert.Empty(_world.Items);
        Assert.Equal(3, r.Record.Operations.Count(o => o.Cascade && o.Operation == KvOp.Delete));
        Assert.Equal(KvOp.Delete, r.Record.Operations[^1].Operation);
        Assert.Equal("dp/if/a", r.Record.Operations[^1].Key);
        Assert.Equal(["dp/arp/a", "dp/route/a", "lx/addr/a"], _s.DumpPending().Keys.Order(StringComparer.Ordinal));
        _world.Calls.Clear();
        _world.Log.Clear();

        r = _s.Update(new Dictionary<string, object?> { ["dp/if/a"] = "tap-a" }, "interface back");

        Assert.True(r.Ok, r.Record.Error);
        Assert.Empty(_world.Violations);
        var call = Assert.Single(_world.Calls);
        Assert.Equal("dp/if/a", call[0].Key);
        Assert.Equal(["dp/arp/a", "dp/if/a", "dp/route/a"], Keys(call).Order(StringComparer.Ordinal));
        Assert.Equal("lx create lx/addr/a", _world.Log[^1]);
        Assert.Equal(4, _world.Items.Count);
        Assert.Empty(_s.DumpPending());
    }

    [Fact]
    public void Revert_after_a_batched_failure_removes_what_the_batch_already_did()
    {
        _world.FailOn["dp/route/a"] = (false, int.MaxValue);

        var r = _s.Update(Create(Pod("a")), "add pod a", revertOnFailure: true);

        Assert.False(r.Ok);
        Assert.Empty(_world.Violations);
        Assert.Equal(["dp/route/a"], r.Failures.Keys);
        Assert.Empty(_world.Items);
        Assert.Empty(_s.DumpApplied());
        Assert.Null(_s.GetDesired("dp/if/a"));
        Assert.Contains(r.Record.Operations, o => o.IsRevert && o.Key == "dp/if/a" && o.Operation == KvOp.Delete && o.Error is null);
        Assert.Contains(r.Record.Operations, o => o.IsRevert && o.Key == "lx/addr/a" && o.Operation == KvOp.Delete);
    }
}
