using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>Namespaces: the <c>kubernetes.io/metadata.name</c> label always names the namespace; new ones are Active.</summary>
internal sealed class NamespaceStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        var labels = Json.Obj(obj, "metadata", "labels");
        labels["kubernetes.io/metadata.name"] = Json.Str(obj, "metadata", "name");
        obj["status"] = new JsonObject { ["phase"] = "Active" };
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
        => Json.Obj(next, "metadata", "labels")["kubernetes.io/metadata.name"] = Json.Str(next, "metadata", "name");
}
