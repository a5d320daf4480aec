using System.Globalization;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Http;

/// <summary>Table columns of the workload kinds and of events (as kube-apiserver prints them).</summary>
internal static partial class TablePrinter
{
    private static (string Name, string Type, int Priority)[]? WorkloadColumns(ResourceType type) => type.StoreKey switch
    {
        "deployments.apps" => [("Name", "string", 0), ("Ready", "string", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0), ("Age", "string", 0), ("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        "replicasets.apps" => [("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0), ("Age", "string", 0), ("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        "daemonsets.apps" => [("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0), ("Node Selector", "string", 0), ("Age", "string", 0), ("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        "jobs.batch" => [("Name", "string", 0), ("Status", "string", 0), ("Completions", "string", 0), ("Duration", "string", 0), ("Age", "string", 0), ("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)],
        "events" => [("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0), ("Object", "string", 0), ("Message", "string", 0)],
        _ => ClusterSetupColumns(type),
    };

    private static JsonNode?[]? WorkloadCells(ResourceType type, JsonObject o, string? name, string age, DateTimeOffset now)
    {
        long N(params string[] path) => Json.Long(Json.At(o, path)) ?? 0;
        var containers = (Json.At(o, "spec", "template", "spec", "containers") as JsonArray ?? []).ToList();
        var names = string.Join(',', containers.Select(c => Json.Str(c, "name")));
        var images = string.Join(',', containers.Select(c => Json.Str(c, "image")));
        var selector = ApiHandler.SelectorText(Json.At(o, "spec", "selector") as JsonObject);
        switch (type.StoreKey)
        {
            case "deployments.apps":
                return [name, $"{N("status", "readyReplicas")}/{N("spec", "replicas")}", N("status", "updatedReplicas"), N("status", "availableReplicas"), age, names, images, selector];
            case "replicasets.apps":
                return [name, N("spec", "replicas"), N("status", "replicas"), N("status", "readyReplicas"), age, names, images, selector];
            case "daemonsets.apps":
            {
                var nodeSelector = Json.At(o, "spec", "template", "spec", "nodeSelector") as JsonObject;
                var ns = nodeSelector is null || nodeSelector.Count == 0 ? "<none>" : string.Join(',', nodeSelector.Select(kv => $"{kv.Key}={Json.AsString(kv.Value)}"));
                return [name, N("status", "desiredNumberScheduled"), N("status", "currentNumberScheduled"), N("status", "numberReady"), N("status", "updatedNumberScheduled"),
                    N("status", "numberAvailable"), ns, age, names, images, selector];
            }

            case "jobs.batch":
            {
                var conditions = (Json.At(o, "status", "conditions") as JsonArray ?? []).Where(c => Json.Str(c, "status") == "True").Select(c => Json.Str(c, "type")).ToList();
                var status = conditions.Contains("Complete") ? "Complete" : conditions.Contains("Failed") ? "Failed" : Json.Str(o, "spec", "suspend") == "true" ? "Suspended" : "Running";
                var start = Json.ParseTime(Json.Str(o, "status", "startTime"));
                var end = Json.ParseTime(Json.Str(o, "status", "completionTime"));
                var duration = start is null ? string.Empty : Age(start, end ?? now);
                var completions = Json.Long(Json.At(o, "spec", "completions")) is long c ? c.ToString(CultureInfo.InvariantCulture) : "1";
                return [name, status, $"{N("status", "succeeded")}/{completions}", duration, age, names, images, selector];
            }

            case "events":
            {
                var last = Json.ParseTime(Json.Str(o, "lastTimestamp")) ?? Json.ParseTime(Json.Str(o, "eventTime")) ?? Json.ParseTime(Json.Str(o, "metadata", "creationTimestamp"));
                var kind = Json.Str(o, "involvedObject", "kind")?.ToLowerInvariant();
                return [Age(last, now), Json.Str(o, "type"), Json.Str(o, "reason"), $"{kind}/{Json.Str(o, "involvedObject", "name")}", Json.Str(o, "message")];
            }

            default:
                return ClusterSetupCells(type, o, name, age);
        }
    }
}
