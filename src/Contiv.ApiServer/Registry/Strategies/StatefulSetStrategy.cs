using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// StatefulSets (apps/v1): replicas 1, OrderedReady pod management, RollingUpdate with partition 0, revision
/// history 10, PVCs retained. Only <c>replicas</c>, <c>template</c>, <c>updateStrategy</c>, <c>minReadySeconds</c>,
/// <c>ordinals</c>, <c>persistentVolumeClaimRetentionPolicy</c> and <c>revisionHistoryLimit</c> may change, as in
/// kube-apiserver. The lab runs no StatefulSet controller: the object is stored, its pods are not created.
/// </summary>
internal sealed class StatefulSetStrategy : IResourceStrategy
{
    private static readonly string[] Mutable = ["replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy", "revisionHistoryLimit"];

    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        Default(obj);
        PodTemplates.DefaultAndValidate(obj, type.Kind);
        obj["status"] = new JsonObject { ["replicas"] = 0, ["availableReplicas"] = 0 };
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        Default(next);
        PodTemplates.DefaultAndValidate(next, type.Kind);
        PodTemplates.KeepSelector(next, old, type.Kind);
        var nextSpec = Json.Obj(next, "spec");
        var oldSpec = Json.At(old, "spec") as JsonObject ?? [];
        foreach (var field in nextSpec.Select(kv => kv.Key).Union(oldSpec.Select(kv => kv.Key)))
        {
            if (!Mutable.Contains(field, StringComparer.Ordinal) && !Json.DeepEquals(nextSpec[field], oldSpec[field]))
            {
                throw ApiException.Invalid(type.Kind, Json.Str(next, "metadata", "name") ?? string.Empty, "spec", "FieldValueForbidden",
                    $"Forbidden: updates to statefulset spec for fields other than {string.Join(", ", Mutable.Select(m => $"'{m}'"))} are forbidden (changed: {field})", type.Group);
            }
        }
    }

    private static void Default(JsonObject obj)
    {
        var spec = Json.Obj(obj, "spec");
        spec["replicas"] ??= 1;
        spec["podManagementPolicy"] ??= "OrderedReady";
        spec["revisionHistoryLimit"] ??= 10;
        var strategy = Json.Obj(spec, "updateStrategy");
        strategy["type"] ??= "RollingUpdate";
        if (Json.Str(strategy, "type") == "RollingUpdate")
        {
            Json.Obj(strategy, "rollingUpdate")["partition"] ??= 0;
        }

        var retention = Json.Obj(spec, "persistentVolumeClaimRetentionPolicy");
        retention["whenDeleted"] ??= "Retain";
        retention["whenScaled"] ??= "Retain";
    }
}
