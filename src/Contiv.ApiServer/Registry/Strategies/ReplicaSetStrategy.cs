using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>ReplicaSets (apps/v1): replicas 1, a selector that selects the template.</summary>
internal sealed class ReplicaSetStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        Json.Obj(obj, "spec")["replicas"] ??= 1;
        PodTemplates.DefaultAndValidate(obj, type.Kind);
        obj["status"] = new JsonObject { ["replicas"] = 0 };
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        Json.Obj(next, "spec")["replicas"] ??= 1;
        PodTemplates.DefaultAndValidate(next, type.Kind);
        PodTemplates.KeepSelector(next, old, type.Kind);
    }
}
