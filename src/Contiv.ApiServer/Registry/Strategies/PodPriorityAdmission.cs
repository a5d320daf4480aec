using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// kube-apiserver's Priority admission in front of the pod strategy: a new pod naming a
/// <c>priorityClassName</c> gets that class's <c>value</c> as <c>spec.priority</c> and its preemption policy;
/// a pod naming a class that does not exist is refused (403), so a manifest that relies on
/// <c>system-node-critical</c> fails here as it would on a cluster without it.
/// </summary>
/// <param name="pods">The pod strategy it wraps.</param>
/// <param name="findClass">Finds a PriorityClass by name (called under the registry lock).</param>
internal sealed class PodPriorityAdmission(IResourceStrategy pods, Func<string, JsonObject?> findClass) : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        var spec = Json.Obj(obj, "spec");
        if (Json.Str(spec, "priorityClassName") is { Length: > 0 } className)
        {
            var pc = findClass(className) ?? throw new ApiException(403, "Forbidden",
                $"pods \"{Json.Str(obj, "metadata", "name") ?? Json.Str(obj, "metadata", "generateName")}\" is forbidden: no PriorityClass with name {className} was found",
                ApiException.NameDetails(Json.Str(obj, "metadata", "name") ?? string.Empty, string.Empty, "pods"));
            var value = Json.Long(pc["value"]) ?? 0;
            if (Json.Long(spec["priority"]) is long given && given != value)
            {
                throw ApiException.Invalid("Pod", Json.Str(obj, "metadata", "name") ?? string.Empty, "spec.priority", "FieldValueForbidden",
                    $"Forbidden: the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name");
            }

            spec["priority"] = value;
            spec["preemptionPolicy"] ??= Json.Str(pc, "preemptionPolicy") ?? "PreemptLowerPriority";
        }

        pods.PrepareForCreate(type, obj, dryRun);
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun) => pods.PrepareForUpdate(type, next, old, dryRun);

    /// <inheritdoc />
    public void AfterCommit(ResourceType type, JsonObject stored, JsonObject? old) => pods.AfterCommit(type, stored, old);

    /// <inheritdoc />
    public void AfterRemove(ResourceType type, JsonObject removed) => pods.AfterRemove(type, removed);
}
