using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// The rules of one kind that the registry applies around its generic create, update and delete: defaults,
/// status resets, validation and side effects (Service IP allocation, CRD registration), as the strategies of
/// Kubernetes' registry do. Every method runs under the registry lock. The defaults do nothing.
/// </summary>
internal interface IResourceStrategy
{
    /// <summary>Defaults, validates and resets the status of a new object before it is stored.</summary>
    /// <param name="type">The object's resource.</param>
    /// <param name="obj">The object; changed in place.</param>
    /// <param name="dryRun">True: allocate nothing that would outlive the request.</param>
    void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
    }

    /// <summary>Defaults and validates the next version of an object before it replaces <paramref name="old"/>.</summary>
    /// <param name="type">The object's resource.</param>
    /// <param name="next">The new version; changed in place.</param>
    /// <param name="old">The stored version.</param>
    /// <param name="dryRun">True: allocate nothing that would outlive the request.</param>
    void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
    }

    /// <summary>Runs after a create or update was stored.</summary>
    /// <param name="type">The object's resource.</param>
    /// <param name="stored">The stored version.</param>
    /// <param name="old">The version it replaced; null after a create.</param>
    void AfterCommit(ResourceType type, JsonObject stored, JsonObject? old)
    {
    }

    /// <summary>Runs after an object was removed.</summary>
    /// <param name="type">The object's resource.</param>
    /// <param name="removed">The removed object.</param>
    void AfterRemove(ResourceType type, JsonObject removed)
    {
    }
}
