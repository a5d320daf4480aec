using Contiv.Agent.Scheduler;
using CsCheck;

namespace Contiv.Agent.Tests.Scheduler;

/// <summary>
/// The scheduler's dependency index is kept current as items change instead of being rebuilt from every item on
/// each pass; these tests compare it with that full scan after adds, updates, deletes, failures, reverts, derived
/// items and batched operations.
/// </summary>
public class DependencyIndexTests
{
    private sealed class DerivingDescriptor : KvDescriptor<string>
    {
        public override string Name => "parent";

        public override string KeyPrefix => "parent/";

        public override IEnumerable<string> Dependencies(string key, string value) => BatchWorld.DependenciesOf(value);

        // "v|deps" derives child/<key>-<v> depending on the parent's first dependency, if any.
        public override IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, string value)
        {
            var v = value.Split('|')[0];
            var dep = BatchWorld.DependenciesOf(value).FirstOrDefault();
            return [KeyValuePair.Create($"child/{key[7..]}-{v}", (object)(dep is null ? "c" : "c|" + dep))];
        }

        public override void Create(string key, string value)
        {
        }

        public override void Delete(string key, string value)
        {
        }
    }

    private sealed class Fixture
    {
        public Fixture()
        {
            Scheduler.Register(new WorldDescriptor("if", "if/", World, Log));
            Routes = new WorldDescriptor("route", "route/", World, Log);
            Scheduler.Register(Routes);
            Scheduler.Register(new WorldDescriptor("child", "child/", World, Log));
            Scheduler.Register(new DerivingDescriptor());
            Scheduler.Register<string, DpOperation>(new DataPlaneDescriptor("dp", "dp/", Dp));
        }

        public Dictionary<string, string> World { get; } = new(StringComparer.Ordinal);

        public List<string> Log { get; } = [];

        public BatchWorld Dp { get; } = new();

        public WorldDescriptor Routes { get; }

        public KvScheduler Scheduler { get; } = new(sleep: _ => { });
    }

    /// <summary>The dependents of every key as the scheduler used to compute them: a scan of all items.</summary>
    private static (Dictionary<string, List<string>> Applied, Dictionary<string, List<string>> DesiredOrApplied) FullScan(ItemTable items)
    {
        var applied = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var both = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var s in items.All)
        {
            foreach (var (value, onlyApplied) in new[] { (s.Desired, false), (s.Applied, true) })
            {
                if (value is null)
                {
                    continue;
                }

                foreach (var d in DependencyIndex.Of(s, value))
                {
                    AddOnce(both, d, s.Key);
                    if (onlyApplied)
                    {
                        AddOnce(applied, d, s.Key);
                    }
                }
            }
        }

        return (applied, both);

        static void AddOnce(Dictionary<string, List<string>> map, string key, string item)
        {
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = [];
            }

            if (list.Count == 0 || list[^1] != item)
            {
                list.Add(item);
            }
        }
    }

    private static void AssertIndexMatchesFullScan(KvScheduler scheduler)
    {
        var items = scheduler.Items;
        var (applied, both) = FullScan(items);
        var keys = new HashSet<string>(applied.Keys.Concat(both.Keys).Concat(items.All.Select(s => s.Key)), StringComparer.Ordinal);
        foreach (var key in keys)
        {
            Assert.Equal(applied.GetValueOrDefault(key, []), items.Dependencies.AppliedDependents(key).Select(s => s.Key));
            Assert.Equal(applied.ContainsKey(key), items.Dependencies.HasAppliedDependents(key));
            Assert.Equal(both.GetValueOrDefault(key, []), items.Dependencies.DesiredOrAppliedDependents(key).Select(s => s.Key));
        }

        // Nothing unused is left behind, and every derived item is a child of its parent.
        Assert.DoesNotContain(items.All, s => s.Desired is null && s.Applied is null);
        foreach (var s in items.All.Where(s => s.ParentKey is not null))
        {
            Assert.Contains(s.Key, items.ScopeOf([s.ParentKey!]));
        }
    }

    [Fact]
    public void Index_follows_adds_updates_and_deletes()
    {
        var f = new Fixture();
        var ix = f.Scheduler.Items.Dependencies;
        Assert.True(f.Scheduler.Update(new Dictionary<string, object?> { ["if/a"] = "a", ["route/r"] = "r|if/a" }, "add").Ok);
        Assert.Equal(["route/r"], ix.AppliedDependents("if/a").Select(s => s.Key));

        Assert.True(f.Scheduler.Update(new Dictionary<string, object?> { ["if/b"] = "b", ["route/r"] = "r|if/b" }, "move").Ok);
        Assert.Empty(ix.AppliedDependents("if/a"));
        Assert.False(ix.HasAppliedDependents("if/a"));
        Assert.Equal(["route/r"], ix.AppliedDependents("if/b").Select(s => s.Key));

        // Desired but not applied (its dependency is missing): a desired dependent only.
        Assert.True(f.Scheduler.Update(new Dictionary<string, object?> { ["route/s"] = "s|if/c" }, "pending").Ok);
        Assert.Empty(ix.AppliedDependents("if/c"));
        Assert.Equal(["route/s"], ix.DesiredOrAppliedDependents("if/c").Select(s => s.Key));

        Assert.True(f.Scheduler.Update(new Dictionary<string, object?> { ["route/r"] = null, ["route/s"] = null }, "delete").Ok);
        Assert.Empty(ix.DesiredOrAppliedDependents("if/b"));
        Assert.Empty(ix.DesiredOrAppliedDependents("if/c"));
        AssertIndexMatchesFullScan(f.Scheduler);
    }

    [Fact]
    public void Derived_items_are_indexed_under_their_parent_and_forgotten_with_it()
    {
        var f = new Fixture();
        var ix = f.Scheduler.Items.Dependencies;
        Assert.True(f.Scheduler.Update(new Dictionary<string, object?> { ["if/a"] = "a", ["parent/p"] = "1|if/a" }, "add").Ok);
        Assert.Equal(["child/p-1"], ix.AppliedDependents("parent/p").Select(s => s.Key));
        Assert.Equal(["child/p-1", "parent/p"], ix.AppliedDependents("if/a").Select(s => s.Key));

        Assert.True(f.Scheduler.Update(new Dictionary<string, object?> { ["parent/p"] = "2|if/a" }, "update").Ok);
        Assert.Equal(["child/p-2"], ix.AppliedDependents("parent/p").Select(s => s.Key));
        Assert.False(f.Scheduler.Items.Contains("child/p-1"));

        Assert.True(f.Scheduler.Update(new Dictionary<string, object?> { ["parent/p"] = null }, "delete").Ok);
        Assert.Empty(ix.DesiredOrAppliedDependents("parent/p"));
        Assert.False(f.Scheduler.Items.Contains("child/p-2"));
        AssertIndexMatchesFullScan(f.Scheduler);
    }

    [Fact]
    public void Index_matches_a_full_scan_after_any_sequence_of_transactions()
    {
        string[] ifs = ["if/a", "if/b", "if/c"];
        string[] keys = ["if/a", "if/b", "if/c", "route/0", "route/1", "route/2", "parent/p", "parent/q", "dp/x", "dp/y"];
        var value = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 3], (v, d) => d == 3 ? $"v{v}" : $"v{v}|{ifs[d]}");

        // (key, value or delete, fail its creation, revert on failure, resync instead)
        var step = Gen.Select(Gen.Int[0, keys.Length - 1], value, Gen.Int[0, 5], Gen.Bool, Gen.Int[0, 9]);
        step.Array[1, 25].Sample(steps =>
        {
            var f = new Fixture();
            foreach (var (k, v, fail, revert, resync) in steps)
            {
                var key = keys[k];
                if (fail == 0)
                {
                    f.Routes.FailCreate.Add("route/0");
                    f.Dp.FailOn["dp/x"] = (true, 1);
                }

                // Interfaces never depend on themselves; the rest depend on interfaces.
                var val = key.StartsWith("if/", StringComparison.Ordinal) ? v.Split('|')[0] : v;
                if (resync == 0)
                {
                    var desired = f.Scheduler.DumpDesired().Where(kv => !kv.Key.StartsWith("child/", StringComparison.Ordinal)).ToDictionary();
                    f.Scheduler.Resync(TxnKind.FullResync, desired, "resync");
                }
                else
                {
                    f.Scheduler.Update(new Dictionary<string, object?> { [key] = fail == 1 ? null : val }, "step", revert);
                }

                AssertIndexMatchesFullScan(f.Scheduler);
            }
        }, iter: 300);
    }
}
