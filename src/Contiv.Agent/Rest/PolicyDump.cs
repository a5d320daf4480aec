using System.Text.Json.Nodes;
using Contiv.Agent.Policy;

namespace Contiv.Agent.Rest;

/// <summary>
/// <c>GET /contiv/v1/policies</c> (read-only): the policy state of this node as the renderer cache holds it — the
/// policies known, each isolated local pod with its table, the local tables with their rules and pods, the node-global
/// table and the names of the ACLs desired in the data plane. 503 before the first resync.
/// </summary>
internal static class PolicyDump
{
    /// <summary>Maps the endpoint.</summary>
    public static void Map(WebApplication app, PolicyHandler handler)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(handler);
        app.MapGet("/contiv/v1/policies", () =>
        {
            // The event loop replaces these objects (never mutates the ones published), so a reader sees one state.
            var processor = handler.Processor;
            var cache = handler.RendererCache;
            var rendered = handler.Rendered;
            if (processor is null || cache is null)
            {
                return RestApi.Error("policies not resynced yet", 503);
            }

            var tables = cache.LocalTables;
            var podTables = cache.PodTables;
            return RestApi.Json(new JsonObject
            {
                ["policies"] = Strings(AgentContext.Snapshot(() => processor.Cache.Policies.Keys.Select(p => p.ToString())).Order(StringComparer.Ordinal)),
                ["isolatedPods"] = new JsonArray(podTables.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal)
                    .Select(p => (JsonNode)new JsonObject { ["pod"] = p.Key.ToString(), ["table"] = AclRenderer.NamePrefix + p.Value }).ToArray()),
                ["localTables"] = new JsonArray(tables.Values.OrderBy(t => t.Id, StringComparer.Ordinal).Select(t => (JsonNode)new JsonObject
                {
                    ["acl"] = AclRenderer.NamePrefix + t.Id,
                    ["pods"] = Strings(podTables.Where(p => p.Value == t.Id).Select(p => p.Key.ToString()).Order(StringComparer.Ordinal)),
                    ["rules"] = Strings(t.Rules.Select(r => r.ToString())),
                }).ToArray()),
                ["globalTable"] = Strings(cache.GlobalTable.Rules.Select(r => r.ToString())),
                ["acls"] = Strings(rendered.Keys.Order(StringComparer.Ordinal)),
            });
        });
    }

    private static JsonArray Strings(IEnumerable<string> items) => new(items.Select(s => (JsonNode?)s).ToArray());
}
