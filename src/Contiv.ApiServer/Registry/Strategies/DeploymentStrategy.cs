using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>Deployments (apps/v1): replicas 1, RollingUpdate 25 %/25 %, revision history 10, progress deadline 600 s.</summary>
internal sealed class DeploymentStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        Default(obj);
        PodTemplates.DefaultAndValidate(obj, type.Kind);
        obj["status"] = new JsonObject();
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
        spec["replicas"] ??= 1;
        spec["revisionHistoryLimit"] ??= 10;
        spec["progressDeadlineSeconds"] ??= 600;
        var strategy = Json.Obj(spec, "strategy");
        strategy["type"] ??= "RollingUpdate";
        if (Json.Str(strategy, "type") == "RollingUpdate")
        {
            var rolling = Json.Obj(strategy, "rollingUpdate");
            rolling["maxUnavailable"] ??= "25%";
            rolling["maxSurge"] ??= "25%";
        }
    }
}
