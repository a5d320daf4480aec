using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Http;

/// <summary>Table columns of StatefulSets, PriorityClasses, RBAC bindings and PodDisruptionBudgets (as kube-apiserver prints them).</summary>
internal static partial class TablePrinter
{
    private static (string Name, string Type, int Priority)[]? ClusterSetupColumns(ResourceType type) => type.StoreKey switch
    {
        "statefulsets.apps" => [("Name", "string", 0), ("Ready", "string", 0), ("Age", "string", 0), ("Containers", "string", 1), ("Images", "string", 1)],
        "priorityclasses.scheduling.k8s.io" => [("Name", "string", 0), ("Value", "integer", 0), ("Global-Default", "boolean", 0), ("Age", "string", 0), ("PreemptionPolicy", "string", 0)],
        "rolebindings.rbac.authorization.k8s.io" or "clusterrolebindings.rbac.authorization.k8s.io"
            => [("Name", "string", 0), ("Role", "string", 0), ("Age", "string", 0), ("Users", "string", 1), ("Groups", "string", 1), ("ServiceAccounts", "string", 1)],
        "clusterroles.rbac.authorization.k8s.io" or "roles.rbac.authorization.k8s.io" => [("Name", "string", 0), ("Created At", "date", 0)],
        "poddisruptionbudgets.policy" => [("Name", "string", 0), ("Min Available", "string", 0), ("Max Unavailable", "string", 0), ("Allowed Disruptions", "integer", 0), ("Age", "string", 0)],
        "endpointslices.discovery.k8s.io" => [("Name", "string", 0), ("AddressType", "string", 0), ("Ports", "string", 0), ("Endpoints", "string", 0), ("Age", "string", 0)],
        _ => null,
    };

    private static JsonNode?[]? ClusterSetupCells(ResourceType type, JsonObject o, string? name, string age)
    {
        switch (type.StoreKey)
        {
            case "statefulsets.apps":
            {
                var containers = (Json.At(o, "spec", "template", "spec", "containers") as JsonArray ?? []).ToList();
                return [name, $"{Json.Long(Json.At(o, "status", "readyReplicas")) ?? 0}/{Json.Long(Json.At(o, "spec", "replicas")) ?? 0}", age,
                    string.Join(',', containers.Select(c => Json.Str(c, "name"))), string.Join(',', containers.Select(c => Json.Str(c, "image")))];
            }

            case "priorityclasses.scheduling.k8s.io":
                return [name, Json.Long(o["value"]) ?? 0, Json.Str(o, "globalDefault") == "true", age, Json.Str(o, "preemptionPolicy") ?? string.Empty];
            case "rolebindings.rbac.authorization.k8s.io":
            case "clusterrolebindings.rbac.authorization.k8s.io":
            {
                var subjects = (o["subjects"] as JsonArray ?? []).ToList();
                string Of(string kind) => string.Join(", ", subjects.Where(s => Json.Str(s, "kind") == kind)
                    .Select(s => kind == "ServiceAccount" ? $"{Json.Str(s, "namespace")}/{Json.Str(s, "name")}" : Json.Str(s, "name")));
                return [name, $"{Json.Str(o, "roleRef", "kind")}/{Json.Str(o, "roleRef", "name")}", age, Of("User"), Of("Group"), Of("ServiceAccount")];
            }

            case "clusterroles.rbac.authorization.k8s.io":
            case "roles.rbac.authorization.k8s.io":
                return [name, Json.Str(o, "metadata", "creationTimestamp")];
            case "poddisruptionbudgets.policy":
                return [name, Json.Str(o, "spec", "minAvailable") ?? "N/A", Json.Str(o, "spec", "maxUnavailable") ?? "N/A",
                    Json.Long(Json.At(o, "status", "disruptionsAllowed")) ?? 0, age];
            case "endpointslices.discovery.k8s.io":
            {
                // As kubectl shows them: ports joined by ",", at most three addresses then "+ N more...".
                var ports = (o["ports"] as JsonArray ?? []).Select(p => Json.Long(Json.At(p, "port"))?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "<unset>").ToList();
                var addresses = (o["endpoints"] as JsonArray ?? []).SelectMany(e => (Json.At(e, "addresses") as JsonArray ?? []).Select(a => Json.AsString(a))).ToList();
                var shown = addresses.Count == 0 ? "<unset>" : string.Join(',', addresses.Take(3)) + (addresses.Count > 3 ? $" + {addresses.Count - 3} more..." : string.Empty);
                return [name, Json.Str(o, "addressType") ?? string.Empty, ports.Count == 0 ? "<unset>" : string.Join(',', ports), shown, age];
            }

            default:
                return null;
        }
    }
}
