using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// What every workload kind shares: pod template defaults and validation (the pod's own rules), the label
/// selector that must select the template, an empty status on create, and an immutable selector.
/// </summary>
internal static class PodTemplates
{
    /// <summary>Defaults and validates <c>spec.template</c> and checks that <c>spec.selector</c> selects it.</summary>
    public static void DefaultAndValidate(JsonObject obj, string kind)
    {
        var name = Json.Str(obj, "metadata", "name") ?? string.Empty;
        if (Json.At(obj, "spec", "template") is not JsonObject template)
        {
            throw ApiException.Invalid(kind, name, "spec.template", "FieldValueRequired", "Required value");
        }

        template["metadata"] ??= new JsonObject();
        PodStrategy.DefaultPod(template);
        try
        {
            PodStrategy.ValidatePod(template);
        }
        catch (ApiException e)
        {
            throw ApiException.Invalid(kind, name, "spec.template.spec.containers", "FieldValueRequired", e.Message);
        }

        if (Json.At(obj, "spec", "selector") is not JsonObject selector || selector.Count == 0)
        {
            throw ApiException.Invalid(kind, name, "spec.selector", "FieldValueRequired", "Required value");
        }

        var labels = Json.At(template, "metadata", "labels") as JsonObject;
        if (!Matches(selector, labels))
        {
            throw ApiException.Invalid(kind, name, "spec.template.metadata.labels", "FieldValueInvalid", "`selector` does not match template `labels`");
        }
    }

    /// <summary>Rejects a changed <c>spec.selector</c> (immutable in apps/v1 and batch/v1).</summary>
    public static void KeepSelector(JsonObject next, JsonObject old, string kind)
    {
        if (!Json.DeepEquals(Json.At(next, "spec", "selector"), Json.At(old, "spec", "selector")))
        {
            throw ApiException.Invalid(kind, Json.Str(next, "metadata", "name") ?? string.Empty, "spec.selector", "FieldValueInvalid", "field is immutable");
        }
    }

    /// <summary>True when a <c>LabelSelector</c> object (matchLabels, matchExpressions) selects <paramref name="labels"/>.</summary>
    public static bool Matches(JsonObject selector, JsonObject? labels)
    {
        foreach (var (k, v) in selector["matchLabels"] as JsonObject ?? [])
        {
            if (Json.AsString(labels?[k]) != Json.AsString(v))
            {
                return false;
            }
        }

        foreach (var e in selector["matchExpressions"] as JsonArray ?? [])
        {
            var key = Json.Str(e, "key") ?? string.Empty;
            var values = (Json.At(e, "values") as JsonArray ?? []).Select(Json.AsString).ToHashSet(StringComparer.Ordinal);
            var has = labels?.ContainsKey(key) == true;
            var value = has ? Json.AsString(labels![key]) : null;
            var ok = Json.Str(e, "operator") switch
            {
                "In" => has && values.Contains(value),
                "NotIn" => !has || !values.Contains(value),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
