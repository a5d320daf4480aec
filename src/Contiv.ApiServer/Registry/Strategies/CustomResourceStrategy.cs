using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>Objects of a CustomResourceDefinition's kinds: with a status subresource, a create cannot set the status.</summary>
internal sealed class CustomResourceStrategy : IResourceStrategy
{
    /// <summary>The one instance.</summary>
    public static CustomResourceStrategy Instance { get; } = new();

    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        if (type.HasStatusSubresource)
        {
            obj.Remove("status");
        }
    }
}
