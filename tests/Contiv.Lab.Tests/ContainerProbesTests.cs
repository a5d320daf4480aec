using System.Collections.Concurrent;
using Contiv.Lab.Kubelet;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>The kubelet stand-in's probes (exec probes through a fake runtime: no namespaces needed).</summary>
public sealed class ContainerProbesTests
{
    [Fact]
    public async Task A_startup_probe_holds_readiness_back_until_it_passes_once_then_stops()
    {
        var calls = new ConcurrentQueue<string>();
        var startupFailuresLeft = 2;
        ContainerCommand exec = (argv, _, _) =>
        {
            calls.Enqueue(argv[0]);
            var code = argv[0] == "startup" && Interlocked.Decrement(ref startupFailuresLeft) >= 0 ? 1 : 0;
            return Task.FromResult((code, string.Empty));
        };
        var spec = new V1Container
        {
            Name = "c",
            StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["startup"] }, PeriodSeconds = 1, FailureThreshold = 10 },
            ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["readiness"] }, PeriodSeconds = 60 },
        };
        using var probes = new ContainerProbes(spec, "/nonexistent", null, exec, (_, _) => { });

        await Task.Delay(1500); // one failed startup probe, maybe two
        Assert.False(probes.Ready);
        Assert.DoesNotContain("readiness", calls);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!probes.Ready && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(probes.Ready);
        Assert.Equal(3, calls.Count(c => c == "startup")); // two failures, one pass
        Assert.Equal(1, calls.Count(c => c == "readiness")); // at once after the startup probe passed

        // Idle afterwards: the startup probe stopped, readiness waits for its 60 s period.
        var before = calls.Count;
        await Task.Delay(2500);
        Assert.Equal(before, calls.Count);
        Assert.False(probes.LivenessFailed);
    }

    [Fact]
    public async Task A_startup_probe_that_keeps_failing_asks_for_a_restart()
    {
        ContainerCommand exec = (_, _, _) => Task.FromResult((1, "no"));
        var spec = new V1Container
        {
            Name = "c",
            StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["startup"] }, PeriodSeconds = 1, FailureThreshold = 2 },
            LivenessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["liveness"] }, PeriodSeconds = 1 },
        };
        using var probes = new ContainerProbes(spec, "/nonexistent", null, exec, (_, _) => { });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!probes.LivenessFailed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(probes.LivenessFailed);
        Assert.False(probes.Ready);
    }
}
