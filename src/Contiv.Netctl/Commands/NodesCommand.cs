using System.CommandLine;
using System.Text.Json;
using Contiv.Telemetry.Collection;

namespace Contiv.Netctl.Commands;

/// <summary><c>nodes</c>: every Contiv node from etcd with its agent's <c>/liveness</c> (SPEC §1.5).</summary>
internal static class NodesCommand
{
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("nodes", "List the nodes (etcd VppNodes + k8s nodes) with each agent's state and build: ID, NODE-NAME, VPP-IP, HOST-IP, START-TIME, STATE, BUILD-VERSION, BUILD-DATE. Exit 1 when an agent does not answer.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(global, parse, ct, async session =>
        {
            var snapshot = await session.SnapshotAsync(ct).ConfigureAwait(false);
            var probes = await Task.WhenAll(snapshot.Nodes.Select(n => ProbeAsync(session, n, ct))).ConfigureAwait(false);
            var table = TableOutput.New("ID", "NODE-NAME", "VPP-IP", "HOST-IP", "START-TIME", "STATE", "BUILD-VERSION", "BUILD-DATE");
            var failures = new List<string>();
            for (var i = 0; i < snapshot.Nodes.Count; i++)
            {
                var n = snapshot.Nodes[i];
                var (live, error) = probes[i];
                if (error is not null)
                {
                    failures.Add(error);
                }

                TableOutput.Row(table, n.Id == 0 ? "-" : n.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), n.Name, Dash(n.VppIp), Dash(n.ManagementIp),
                    Field(live, "startTime"), error is null ? Field(live, "state") : "unreachable", Field(live, "buildVersion"), Field(live, "buildDate"));
            }

            TableOutput.Write(table);
            foreach (var f in failures)
            {
                await Console.Error.WriteLineAsync($"contiv-netctl: {f}").ConfigureAwait(false);
            }

            return failures.Count == 0 ? 0 : 1;
        }));
        return command;
    }

    private static async Task<(JsonElement? Live, string? Error)> ProbeAsync(NetctlSession session, NodeTelemetry node, CancellationToken ct)
    {
        if (node.AgentUrl.Length == 0)
        {
            return (null, $"node {node.Name}: no management IP and no agent endpoint known");
        }

        try
        {
            var (_, body) = await session.Agents.GetAsync(node.AgentUrl, "/liveness", ct).ConfigureAwait(false);
            return (body, null);
        }
        catch (AgentUnreachableException e)
        {
            return (null, $"node {node.Name}: {e.Message}");
        }
    }

    private static string Field(JsonElement? e, string name)
        => e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "-";

    private static string Dash(string s) => s.Length == 0 ? "-" : s;
}
