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
}
