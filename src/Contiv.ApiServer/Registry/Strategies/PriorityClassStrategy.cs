using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// PriorityClasses (scheduling.k8s.io/v1): <c>value</c> is required and immutable, user classes stay at or below
/// 1 000 000 000 and may not take the <c>system-</c> prefix (reserved for the built-in
/// <see cref="SystemNodeCritical"/> and <see cref="SystemClusterCritical"/>, which the server creates at start),
/// <c>preemptionPolicy</c> defaults to PreemptLowerPriority and is immutable.
/// </summary>
internal sealed class PriorityClassStrategy : IResourceStrategy
{
    /// <summary>The built-in class of per-node critical pods (a CNI DaemonSet, kube-proxy).</summary>
    public const string SystemNodeCritical = "system-node-critical";

    /// <summary>The built-in class of cluster-critical pods that are not per node (DNS, controllers).</summary>
    public const string SystemClusterCritical = "system-cluster-critical";

    /// <summary>The highest value a user-defined class may have.</summary>
    public const long HighestUserDefinablePriority = 1_000_000_000;

    /// <summary>The built-in classes with their values and descriptions (kube-apiserver's).</summary>
    public static IReadOnlyList<(string Name, long Value, string Description)> SystemClasses { get; } =
    [
        (SystemNodeCritical, 2 * HighestUserDefinablePriority + 1000, "Used for system critical pods that must not be moved from their current node."),
        (SystemClusterCritical, 2 * HighestUserDefinablePriority, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    /// <summary>
    /// True while the server creates its built-in classes: only then may a class use the reserved prefix and
    /// values. Set and reset under the registry lock (the caller's create).
    /// </summary>
    internal bool CreatingSystemClasses { get; set; }

    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        Default(obj);
        Validate(type, obj);
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        Default(next);
        foreach (var field in new[] { "value", "preemptionPolicy" })
        {
            if (!Json.DeepEquals(next[field], old[field]))
            {
                throw Invalid(type, next, field, "FieldValueInvalid", "field is immutable");
            }
        }
    }

    private static void Default(JsonObject obj) => obj["preemptionPolicy"] ??= "PreemptLowerPriority";

    private void Validate(ResourceType type, JsonObject obj)
    {
        if (Json.Long(obj["value"]) is not long value)
        {
            throw Invalid(type, obj, "value", "FieldValueRequired", "Required value");
        }

        var name = Json.Str(obj, "metadata", "name") ?? string.Empty;
        if (CreatingSystemClasses)
        {
            return;
        }

        if (name.StartsWith("system-", StringComparison.Ordinal))
        {
            throw Invalid(type, obj, "metadata.name", "FieldValueForbidden", $"Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: {name}");
        }

        if (value > HighestUserDefinablePriority)
        {
            throw Invalid(type, obj, "value", "FieldValueForbidden", $"Forbidden: maximum allowed value of a user defined priority is {HighestUserDefinablePriority}");
        }

        var policy = Json.Str(obj, "preemptionPolicy");
        if (policy is not ("PreemptLowerPriority" or "Never"))
        {
            throw Invalid(type, obj, "preemptionPolicy", "FieldValueNotSupported", $"Unsupported value: \"{policy}\": supported values: \"Never\", \"PreemptLowerPriority\"");
        }
    }

    private static ApiException Invalid(ResourceType type, JsonObject obj, string field, string reason, string detail)
        => ApiException.Invalid(type.Kind, Json.Str(obj, "metadata", "name") ?? string.Empty, field, reason, detail, type.Group);
}
