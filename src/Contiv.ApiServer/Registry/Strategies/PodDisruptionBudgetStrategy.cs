using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// PodDisruptionBudgets (policy/v1): exactly one of <c>minAvailable</c> and <c>maxUnavailable</c> (an integer
/// ≥ 0 or a percentage), an empty status on create. The lab runs no disruption controller and no eviction API,
/// so the status stays empty.
/// </summary>
internal sealed class PodDisruptionBudgetStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        Validate(type, obj);
        obj["status"] = new JsonObject { ["disruptionsAllowed"] = 0, ["currentHealthy"] = 0, ["desiredHealthy"] = 0, ["expectedPods"] = 0 };
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun) => Validate(type, next);

    private static void Validate(ResourceType type, JsonObject obj)
    {
        var name = Json.Str(obj, "metadata", "name") ?? string.Empty;
        var min = Json.At(obj, "spec", "minAvailable");
        var max = Json.At(obj, "spec", "maxUnavailable");
        if (min is not null && max is not null)
        {
            throw ApiException.Invalid(type.Kind, name, "spec", "FieldValueInvalid", "Invalid value: minAvailable and maxUnavailable cannot be both set", type.Group);
        }

        foreach (var (field, value) in new[] { ("spec.minAvailable", min), ("spec.maxUnavailable", max) })
        {
            if (value is null)
            {
                continue;
            }

            var text = Json.AsString(value) ?? string.Empty;
            var ok = value.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? Json.Long(value) >= 0
                : text.EndsWith('%') && int.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pct) && pct <= 100;
            if (!ok)
            {
                throw ApiException.Invalid(type.Kind, name, field, "FieldValueInvalid", $"Invalid value: \"{text}\": must be a non-negative integer or a percentage between 0% and 100%", type.Group);
            }
        }
    }
}
