using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>DaemonSets (apps/v1): RollingUpdate with maxUnavailable 1 and maxSurge 0, revision history 10.</summary>
internal sealed class DaemonSetStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        Default(obj);
        PodTemplates.DefaultAndValidate(obj, type.Kind);
        obj["status"] = new JsonObject { ["currentNumberScheduled"] = 0, ["numberMisscheduled"] = 0, ["desiredNumberScheduled"] = 0, ["numberReady"] = 0 };
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        Default(next);
        PodTemplates.DefaultAndValidate(next, type.Kind);
        PodTemplates.KeepSelector(next, old, type.Kind);
    }

    private static void Default(JsonObject obj)
    {
        var spec = Json.Obj(obj, "spec");
        spec["revisionHistoryLimit"] ??= 10;
        var strategy = Json.Obj(spec, "updateStrategy");
        strategy["type"] ??= "RollingUpdate";
        if (Json.Str(strategy, "type") == "RollingUpdate")
        {
            var rolling = Json.Obj(strategy, "rollingUpdate");
            rolling["maxUnavailable"] ??= 1;
            rolling["maxSurge"] ??= 0;
        }
    }
}
