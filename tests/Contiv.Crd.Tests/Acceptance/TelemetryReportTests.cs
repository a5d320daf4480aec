using System.Text.Json.Nodes;
using Contiv.Crd.Definitions;
using Contiv.Crd.Telemetry;
using Contiv.Model;
using Contiv.Model.NodeSync;
using Contiv.Telemetry.Collection;

namespace Contiv.Crd.Tests.Acceptance;

/// <summary>The topology validation's report written into TelemetryReport default/default-telemetry.</summary>
public sealed class TelemetryReportTests
{
    [Fact]
    public async Task A_round_writes_the_report_into_the_default_telemetry_status_and_names_an_unreachable_agent()
    {
        await using var lab = await CrdLab.StartAsync();
        // One Contiv node whose agent nobody serves: the report must say so.
        await lab.Reader.PutAsync(Keys.VppNode(1), ProtoJson.Format(new VppNode { Id = 1, Name = "node-1", IpAddresses = { "192.168.16.1/24" } }));
        var validation = new TelemetryValidation(lab.Reader, () => new AgentClientOptions { Endpoints = new Dictionary<string, string> { ["node-1"] = "http://127.0.0.1:9" }, Timeout = TimeSpan.FromSeconds(2) }, ValidationState.SB);
        var crd = await lab.StartCrdAsync(validation);

        await crd.Telemetry.RunOnceAsync(CancellationToken.None);
        var report = await lab.GetAsync(CrdKind.TelemetryReport, "default-telemetry");
        var status = report.GetProperty("status");
        Assert.True(DateTimeOffset.TryParse(status.GetProperty("updatedAt").GetString(), out _), status.ToString());
        var node = Assert.Single(status.GetProperty("nodes").EnumerateArray());
        Assert.Equal("node-1", node.GetProperty("Name").GetString());
        Assert.Equal(1, node.GetProperty("ID").GetInt32());
        var global = status.GetProperty("reports").GetProperty("global").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.NotEqual("validation OK", global[^1]);
        Assert.Contains(status.GetProperty("reports").EnumerateObject().SelectMany(p => p.Value.EnumerateArray()), l => l.GetString()!.Contains("node-1", StringComparison.Ordinal) || l.GetString()!.Contains("127.0.0.1:9", StringComparison.Ordinal));

        // The next round replaces the status (the object stays).
        await lab.Reader.DeleteAsync(Keys.VppNode(1));
        await crd.Telemetry.RunOnceAsync(CancellationToken.None);
        var again = (await lab.GetAsync(CrdKind.TelemetryReport, "default-telemetry")).GetProperty("status");
        Assert.Empty(again.GetProperty("nodes").EnumerateArray());
        Assert.Equal(report.GetProperty("metadata").GetProperty("uid").GetString(), (await lab.GetAsync(CrdKind.TelemetryReport, "default-telemetry")).GetProperty("metadata").GetProperty("uid").GetString());
        Assert.False(again.GetProperty("reports").TryGetProperty("node-1", out _), again.ToString());
    }

    [Fact]
    public async Task A_topology_change_runs_a_round_without_waiting_for_the_interval_and_an_idle_cluster_runs_none()
    {
        await using var lab = await CrdLab.StartAsync();
        var validation = new CountingValidation();
        var crd = await lab.StartCrdAsync(validation, validateIntervalMinutes: 5);
        crd.Telemetry.Debounce = TimeSpan.FromSeconds(1); // longer than five etcd writes on a busy machine
        await CrdLab.WaitUntilAsync(() => Task.FromResult(crd.Telemetry.WatchingAfter > 0), () => "the topology watch never started");

        // Idle, and a change of a record the validation does not read: no round (the old loop waited 5 min anyway).
        await lab.Reader.PutAsync(Keys.Service("web", "default"), "{}");
        await Task.Delay(2500);
        Assert.Equal(0, validation.Rounds);

        // A burst of topology changes (Contiv node IDs, a k8s node, a pod): one round soon after it.
        for (uint i = 1; i <= 3; i++)
        {
            await lab.Reader.PutAsync(Keys.VppNode(i), ProtoJson.Format(new VppNode { Id = i, Name = $"node-{i}", IpAddresses = { $"192.168.16.{i}/24" } }));
        }

        await lab.Reader.PutAsync(Keys.Node("node-1"), "{}");
        await lab.Reader.PutAsync(Keys.Pod("p1", "default"), "{}");
        await CrdLab.WaitUntilAsync(() => Task.FromResult(crd.Telemetry.Rounds == 1), () => $"{crd.Telemetry.Rounds} rounds after the changes", TimeSpan.FromSeconds(10));
        await Task.Delay(2500);
        Assert.Equal(1, crd.Telemetry.Rounds);
        Assert.Equal(1, validation.Rounds);

        // The next change, the next round; the report is written each time.
        await lab.Reader.DeleteAsync(Keys.Pod("p1", "default"));
        await CrdLab.WaitUntilAsync(() => Task.FromResult(crd.Telemetry.Rounds == 2), () => $"{crd.Telemetry.Rounds} rounds after the pod's deletion", TimeSpan.FromSeconds(10));
        var status = (await lab.GetAsync(CrdKind.TelemetryReport, "default-telemetry")).GetProperty("status");
        Assert.Equal("round 2", status.GetProperty("reports").GetProperty("global")[0].GetString());
    }

    /// <summary>A validation that only counts its rounds.</summary>
    private sealed class CountingValidation : ITopologyValidation
    {
        private int _rounds;

        public int Rounds => Volatile.Read(ref _rounds);

        public Task<JsonObject> RunAsync(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref _rounds);
            return Task.FromResult(new JsonObject
            {
                ["updatedAt"] = "2026-12-07T00:00:00Z",
                ["nodes"] = new JsonArray(),
                ["reports"] = new JsonObject { ["global"] = new JsonArray($"round {n}") },
            });
        }
    }
}
