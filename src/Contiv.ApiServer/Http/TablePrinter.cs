using System.Globalization;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Http;

/// <summary>Server-side <c>Table</c> rendering (<c>Accept: …;as=Table;g=meta.k8s.io;v=v1</c>) with the real server's columns.</summary>
internal static partial class TablePrinter
{
    private static readonly (string Name, string Type, int Priority)[] NameAge = [("Name", "string", 0), ("Age", "string", 0)];

    public static JsonObject Table(ResourceType type, IEnumerable<JsonObject> items, string? resourceVersion, string? continueToken, bool withColumns, DateTimeOffset now)
    {
        var rows = new JsonArray();
        foreach (var item in items)
        {
            rows.Add(new JsonObject
            {
                ["cells"] = new JsonArray(Cells(type, item, now).ToArray()),
                ["object"] = new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = PartialMetadata(item),
                },
            });
        }

        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion, ["continue"] = continueToken },
        };
        if (withColumns)
        {
            table["columnDefinitions"] = new JsonArray(Columns(type).Select(c => (JsonNode?)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Name == "Name" ? "name" : string.Empty,
                ["description"] = string.Empty,
                ["priority"] = c.Priority,
            }).ToArray());
        }

        table["rows"] = rows;
        return table;
    }

    private static JsonObject PartialMetadata(JsonObject obj)
    {
        var meta = new JsonObject();
        if (obj["metadata"] is JsonObject m)
        {
            foreach (var f in new[] { "name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "labels", "annotations", "ownerReferences", "finalizers" })
            {
                if (m[f] is JsonNode v)
                {
                    meta[f] = v.DeepClone();
                }
            }
        }

        return meta;
    }

    private static (string Name, string Type, int Priority)[] Columns(ResourceType type) => type.StoreKey switch
    {
        "pods" => [("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "string", 0), ("Age", "string", 0), ("IP", "string", 1), ("Node", "string", 1), ("Nominated Node", "string", 1), ("Readiness Gates", "string", 1)],
        "services" => [("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0), ("External-IP", "string", 0), ("Port(s)", "string", 0), ("Age", "string", 0), ("Selector", "string", 1)],
        "endpoints" => [("Name", "string", 0), ("Endpoints", "string", 0), ("Age", "string", 0)],
        "nodes" => [("Name", "string", 0), ("Status", "string", 0), ("Roles", "string", 0), ("Age", "string", 0), ("Version", "string", 0), ("Internal-IP", "string", 1), ("External-IP", "string", 1), ("OS-Image", "string", 1), ("Kernel-Version", "string", 1), ("Container-Runtime", "string", 1)],
        "namespaces" => [("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)],
        "networkpolicies.networking.k8s.io" => [("Name", "string", 0), ("Pod-Selector", "string", 0), ("Age", "string", 0)],
        "leases.coordination.k8s.io" => [("Name", "string", 0), ("Holder", "string", 0), ("Age", "string", 0)],
        _ => WorkloadColumns(type) ?? NameAge,
    };

    private static IEnumerable<JsonNode?> Cells(ResourceType type, JsonObject o, DateTimeOffset now)
    {
        var name = Json.Str(o, "metadata", "name");
        var age = Age(Json.ParseTime(Json.Str(o, "metadata", "creationTimestamp")), now);
        switch (type.StoreKey)
        {
            case "pods":
            {
                var statuses = (Json.At(o, "status", "containerStatuses") as JsonArray ?? []).OfType<JsonObject>().ToList();
                var total = (Json.At(o, "spec", "containers") as JsonArray)?.Count ?? 0;
                var ready = statuses.Count(s => Json.Str(s, "ready") == "true");
                var restarts = statuses.Sum(s => Json.Long(s["restartCount"]) ?? 0);
                var status = Json.At(o, "metadata", "deletionTimestamp") is not null ? "Terminating" : Json.Str(o, "status", "reason") ?? Json.Str(o, "status", "phase") ?? "Unknown";
                return [name, $"{ready}/{total}", status, restarts.ToString(CultureInfo.InvariantCulture), age,
                    Json.Str(o, "status", "podIP") ?? "<none>", Json.Str(o, "spec", "nodeName") ?? "<none>", Json.Str(o, "status", "nominatedNodeName") ?? "<none>", "<none>"];
            }

            case "services":
            {
                var ports = (Json.At(o, "spec", "ports") as JsonArray ?? []).Select(p =>
                {
                    var np = Json.Long(Json.At(p, "nodePort"));
                    return $"{Json.Str(p, "port")}{(np is > 0 ? $":{np}" : string.Empty)}/{Json.Str(p, "protocol") ?? "TCP"}";
                }).ToList();
                var externalIps = (Json.At(o, "spec", "externalIPs") as JsonArray ?? []).Select(Json.AsString).ToList();
                var selector = Json.At(o, "spec", "selector") as JsonObject;
                var type2 = Json.Str(o, "spec", "type") ?? "ClusterIP";
                var external = externalIps.Count > 0 ? string.Join(',', externalIps) : type2 == "ExternalName" ? Json.Str(o, "spec", "externalName") ?? "<none>" : type2 == "LoadBalancer" ? "<pending>" : "<none>";
                return [name, type2, Json.Str(o, "spec", "clusterIP") ?? "<none>", external, ports.Count == 0 ? "<none>" : string.Join(',', ports), age,
                    selector is null || selector.Count == 0 ? "<none>" : string.Join(',', selector.Select(kv => $"{kv.Key}={Json.AsString(kv.Value)}"))];
            }

            case "endpoints":
            {
                var list = new List<string>();
                foreach (var s in Json.At(o, "subsets") as JsonArray ?? [])
                {
                    var ports = (Json.At(s, "ports") as JsonArray ?? []).Select(p => Json.Str(p, "port")).ToList();
                    foreach (var a in Json.At(s, "addresses") as JsonArray ?? [])
                    {
                        var ip = Json.Str(a, "ip");
                        if (ports.Count == 0)
                        {
                            list.Add(ip ?? string.Empty);
                        }

                        list.AddRange(ports.Select(p => $"{ip}:{p}"));
                    }
                }

                var text = list.Count == 0 ? "<none>" : list.Count > 3 ? string.Join(',', list.Take(3)) + $" + {list.Count - 3} more..." : string.Join(',', list);
                return [name, text, age];
            }

            case "nodes":
            {
                var ready = (Json.At(o, "status", "conditions") as JsonArray ?? []).FirstOrDefault(c => Json.Str(c, "type") == "Ready");
                var status = ready is null ? "Unknown" : Json.Str(ready, "status") == "True" ? "Ready" : "NotReady";
                if (Json.Str(o, "spec", "unschedulable") == "true")
                {
                    status += ",SchedulingDisabled";
                }

                var roles = (Json.At(o, "metadata", "labels") as JsonObject ?? []).Select(kv => kv.Key)
                    .Where(k => k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal)).Select(k => k["node-role.kubernetes.io/".Length..]).ToList();
                var addresses = Json.At(o, "status", "addresses") as JsonArray ?? [];
                string Addr(string t) => addresses.Where(a => Json.Str(a, "type") == t).Select(a => Json.Str(a, "address")).FirstOrDefault() ?? "<none>";
                return [name, status, roles.Count == 0 ? "<none>" : string.Join(',', roles), age, Json.Str(o, "status", "nodeInfo", "kubeletVersion") ?? string.Empty,
                    Addr("InternalIP"), Addr("ExternalIP"), Json.Str(o, "status", "nodeInfo", "osImage") ?? "<unknown>", Json.Str(o, "status", "nodeInfo", "kernelVersion") ?? "<unknown>", Json.Str(o, "status", "nodeInfo", "containerRuntimeVersion") ?? "<unknown>"];
            }

            case "namespaces":
                return [name, Json.Str(o, "status", "phase") ?? string.Empty, age];
            case "networkpolicies.networking.k8s.io":
            {
                var labels = Json.At(o, "spec", "podSelector", "matchLabels") as JsonObject;
                return [name, labels is null || labels.Count == 0 ? "<none>" : string.Join(',', labels.Select(kv => $"{kv.Key}={Json.AsString(kv.Value)}")), age];
            }

            case "leases.coordination.k8s.io":
                return [name, Json.Str(o, "spec", "holderIdentity") ?? "<none>", age];
            default:
                return WorkloadCells(type, o, name, age, now) ?? [name, age];
        }
    }

    /// <summary>kubectl's short human duration (<c>5s</c>, <c>3m20s</c>, <c>2h5m</c>, <c>4d</c>).</summary>
    public static string Age(DateTimeOffset? created, DateTimeOffset now)
    {
        if (created is null)
        {
            return "<unknown>";
        }

        var d = now - created.Value;
        if (d < TimeSpan.Zero)
        {
            d = TimeSpan.Zero;
        }

        var s = (long)d.TotalSeconds;
        var m = s / 60;
        var h = m / 60;
        var days = h / 24;
        return s switch
        {
            < 120 => $"{s}s",
            _ when m < 10 => s % 60 == 0 ? $"{m}m" : $"{m}m{s % 60}s",
            _ when h < 3 => $"{m}m",
            _ when h < 8 => m % 60 == 0 ? $"{h}h" : $"{h}h{m % 60}m",
            _ when h < 48 => $"{h}h",
            _ when days < 8 => h % 24 == 0 ? $"{days}d" : $"{days}d{h % 24}h",
            _ => $"{days}d",
        };
    }
}
