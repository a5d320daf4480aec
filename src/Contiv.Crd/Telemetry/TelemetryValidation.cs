using System.Globalization;
using System.Text.Json.Nodes;
using Contiv.Store;
using Contiv.Telemetry;
using Contiv.Telemetry.Collection;

namespace Contiv.Crd.Telemetry;

/// <summary>
/// <see cref="ITopologyValidation"/> over Contiv.Telemetry's <see cref="TopologyValidator"/>: one round
/// collects etcd's records and every agent's state and runs the validators; the result becomes the
/// TelemetryReport status <c>{updatedAt, nodes[{ID, IPAddr, ManIPAddr, Name}], reports{node: [lines]}}</c>.
/// </summary>
/// <param name="etcd">contiv-crd's etcd broker.</param>
/// <param name="agents">How agents are reached (a function: the endpoints may be re-read every round).</param>
/// <param name="state">Which scheduler state to validate.</param>
internal sealed class TelemetryValidation(IEtcdBroker etcd, Func<AgentClientOptions> agents, ValidationState state) : ITopologyValidation
{
    /// <inheritdoc />
    public async Task<JsonObject> RunAsync(CancellationToken ct)
    {
        var report = await TopologyValidator.RunAsync(etcd, agents(), state, cancellationToken: ct).ConfigureAwait(false);
        var nodes = new JsonArray();
        foreach (var n in report.Nodes)
        {
            nodes.Add(new JsonObject { ["ID"] = n.Id, ["IPAddr"] = n.IpAddr, ["ManIPAddr"] = n.ManIpAddr, ["Name"] = n.Name });
        }

        var reports = new JsonObject();
        foreach (var (node, lines) in report.Reports)
        {
            reports[node] = new JsonArray(lines.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        }

        return new JsonObject
        {
            ["updatedAt"] = report.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["nodes"] = nodes,
            ["reports"] = reports,
        };
    }
}
