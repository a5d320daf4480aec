using System.Diagnostics;
using Contiv.Agent.Scheduler;
using Xunit.Abstractions;

namespace Contiv.Agent.Tests.Scheduler;

/// <summary>
/// The work of an incremental transaction must follow its scope, not the number of items the scheduler holds: a node
/// with thousands of items must add one pod as fast as an empty one. The work is counted as calls into the descriptors'
/// <c>Dependencies</c> and <c>DerivedItems</c> (what every whole-table scan pays per item), which is deterministic,
/// unlike a time.
/// </summary>
public class KvSchedulerScaleTests(ITestOutputHelper output)
{
    /// <summary>Pods ("pod/N", each deriving "tap/N") on one shared interface, with routes on the pods' TAPs.</summary>
    private sealed class CountingDescriptor(string name, string prefix, bool derivesTap) : KvDescriptor<string>
    {
        public long Calls { get; set; }

        public override string Name => name;

        public override string KeyPrefix => prefix;

        public override IEnumerable<string> Dependencies(string key, string value)
        {
            Calls++;
            var bar = value.IndexOf('|', StringComparison.Ordinal);
            return bar < 0 ? [] : value[(bar + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        }

        public override IEnumerable<KeyValuePair<string, object>> DerivedItems(string key, string value)
        {
            Calls++;
            return derivesTap ? [KeyValuePair.Create("tap/" + key[prefix.Length..], (object)("t|if/main"))] : [];
        }

        public override void Create(string key, string value)
        {
        }

        public override void Delete(string key, string value)
        {
        }
    }

    private sealed class World
    {
        public World()
        {
            Scheduler.Register(Interfaces);
            Scheduler.Register(Pods);
            Scheduler.Register(Taps);
            Scheduler.Register(Routes);
        }

        public KvScheduler Scheduler { get; } = new(sleep: _ => { });

        public CountingDescriptor Interfaces { get; } = new("if", "if/", false);

        public CountingDescriptor Pods { get; } = new("pod", "pod/", true);

        public CountingDescriptor Taps { get; } = new("tap", "tap/", false);

        public CountingDescriptor Routes { get; } = new("route", "route/", false);

        public long Calls => Interfaces.Calls + Pods.Calls + Taps.Calls + Routes.Calls;

        public void AddPods(int from, int count)
        {
            var changes = new Dictionary<string, object?>(StringComparer.Ordinal) { ["if/main"] = "main" };
            for (var i = from; i < from + count; i++)
            {
                changes[$"pod/{i:D6}"] = "p|if/main";
                changes[$"route/{i:D6}"] = $"r|tap/{i:D6}";
            }

            Assert.True(Scheduler.Update(changes, $"pods {from}+{count}").Ok);
        }

        /// <summary>Adds, updates and deletes one pod (with its route); returns the descriptor calls that took.</summary>
        public long OnePodCycle(int id)
        {
            var before = Calls;
            var pod = $"pod/{id:D6}";
            var route = $"route/{id:D6}";
            Assert.True(Scheduler.Update(new Dictionary<string, object?> { [pod] = "p|if/main", [route] = $"r|tap/{id:D6}" }, "add").Ok);
            Assert.NotNull(Scheduler.GetApplied(route));
            Assert.True(Scheduler.Update(new Dictionary<string, object?> { [route] = $"r2|tap/{id:D6}" }, "update").Ok);
            Assert.True(Scheduler.Update(new Dictionary<string, object?> { [pod] = null, [route] = null }, "delete").Ok);
            Assert.Null(Scheduler.GetApplied("tap/" + id.ToString("D6", null)));
            return Calls - before;
        }
    }

    [Fact]
    public void One_pod_transaction_costs_the_same_with_200_or_20000_pods_present()
    {
        var small = new World();
        small.AddPods(0, 200);
        var large = new World();
        large.AddPods(0, 20_000);

        var smallCalls = small.OnePodCycle(999_999);
        var started = Stopwatch.GetTimestamp();
        var largeCalls = large.OnePodCycle(999_999);
        var largeMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        output.WriteLine($"one pod add+update+delete: {smallCalls} descriptor calls with 200 pods, {largeCalls} with 20000 pods ({largeMs:F1} ms)");

        // The shared interface has every pod's TAP as a dependent, so an operation touching it may look at its
        // dependents; nothing else may grow with the table.
        Assert.True(largeCalls <= smallCalls + 10, $"{largeCalls} descriptor calls with 20000 pods vs {smallCalls} with 200");
    }
}
