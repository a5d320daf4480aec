using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// CustomResourceDefinitions: validation, an Established status, and the catalog entry of their kinds; deleting one
/// deletes its objects and stops serving its kinds.
/// </summary>
/// <param name="catalog">The served resources.</param>
/// <param name="removeAll">Removes every stored object of a resource (by storage key), under the registry lock.</param>
internal sealed class CrdStrategy(ResourceCatalog catalog, Action<string> removeAll) : IResourceStrategy
{
    /// <summary>The storage key of CustomResourceDefinitions.</summary>
    public const string StoreKey = "customresourcedefinitions.apiextensions.k8s.io";

    private readonly ResourceCatalog _catalog = catalog;
    private readonly Action<string> _removeAll = removeAll;

    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun) => obj["status"] = CrdStatus(ValidateCrd(obj));

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        var spec = ValidateCrd(next);
        var oldGroup = Json.Str(old, "spec", "group");
        if (oldGroup != Json.Str(spec, "group"))
        {
            throw ApiException.Invalid(type.Kind, Json.Str(next, "metadata", "name")!, "spec.group", "FieldValueInvalid", "Invalid value: field is immutable", type.Group);
        }

        next["status"] = CrdStatus(spec);
    }

    /// <inheritdoc />
    public void AfterCommit(ResourceType type, JsonObject stored, JsonObject? old) => Register(stored);

    /// <inheritdoc />
    public void AfterRemove(ResourceType type, JsonObject removed)
    {
        var spec = Json.At(removed, "spec");
        var storeKey = $"{Json.Str(spec, "names", "plural")}.{Json.Str(spec, "group")}";
        _removeAll(storeKey);
        _catalog.SetCustom(storeKey, []);
    }

    private static JsonObject ValidateCrd(JsonObject crd)
    {
        var name = Json.Str(crd, "metadata", "name") ?? string.Empty;
        const string Kind = "CustomResourceDefinition";
        const string Group = "apiextensions.k8s.io";
        var spec = crd["spec"] as JsonObject ?? throw ApiException.Invalid(Kind, name, "spec", "FieldValueRequired", "Required value", Group);
        var group = Json.Str(spec, "group");
        var plural = Json.Str(spec, "names", "plural");
        var kind = Json.Str(spec, "names", "kind");
        if (string.IsNullOrEmpty(group))
        {
            throw ApiException.Invalid(Kind, name, "spec.group", "FieldValueRequired", "Required value", Group);
        }

        if (string.IsNullOrEmpty(plural) || string.IsNullOrEmpty(kind))
        {
            throw ApiException.Invalid(Kind, name, string.IsNullOrEmpty(plural) ? "spec.names.plural" : "spec.names.kind", "FieldValueRequired", "Required value", Group);
        }

        if (name != $"{plural}.{group}")
        {
            throw ApiException.Invalid(Kind, name, "metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group", Group);
        }

        if (spec["versions"] is not JsonArray { Count: > 0 } versions)
        {
            throw ApiException.Invalid(Kind, name, "spec.versions", "FieldValueRequired", "Required value: must have exactly one version marked as storage version", Group);
        }

        if (versions.Count(v => Json.Str(v, "storage") == "true") != 1)
        {
            throw ApiException.Invalid(Kind, name, "spec.versions", "FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version", Group);
        }

        var scope = Json.Str(spec, "scope");
        if (scope is not ("Namespaced" or "Cluster"))
        {
            throw ApiException.Invalid(Kind, name, "spec.scope", "FieldValueNotSupported", $"Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"", Group);
        }

        var names = Json.Obj(spec, "names");
        names["singular"] ??= kind.ToLowerInvariant();
        names["listKind"] ??= kind + "List";
        return spec;
    }

    private static JsonObject CrdStatus(JsonObject spec)
    {
        var now = Json.Timestamp(DateTimeOffset.UtcNow);
        return new JsonObject
        {
            ["acceptedNames"] = spec["names"]?.DeepClone(),
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts", ["message"] = "no conflicts found", ["lastTransitionTime"] = now },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted", ["lastTransitionTime"] = now }),
            ["storedVersions"] = new JsonArray((spec["versions"] as JsonArray ?? []).Where(v => Json.Str(v, "storage") == "true").Select(v => (JsonNode?)Json.Str(v, "name")).ToArray()),
        };
    }

    /// <summary>Serves the kinds of <paramref name="crd"/> (also for CRDs restored from etcd).</summary>
    /// <param name="crd">A stored CustomResourceDefinition.</param>
    public void Register(JsonObject crd)
    {
        var spec = Json.At(crd, "spec") as JsonObject;
        if (spec is null)
        {
            return;
        }

        var group = Json.Str(spec, "group")!;
        var names = Json.Obj(spec, "names");
        var plural = Json.Str(names, "plural")!;
        var kind = Json.Str(names, "kind")!;
        var types = new List<ResourceType>();
        foreach (var v in spec["versions"] as JsonArray ?? [])
        {
            if (Json.Str(v, "served") == "false")
            {
                continue;
            }

            types.Add(new ResourceType
            {
                Group = group,
                Version = Json.Str(v, "name")!,
                Kind = kind,
                Plural = plural,
                Singular = Json.Str(names, "singular") ?? kind.ToLowerInvariant(),
                Namespaced = Json.Str(spec, "scope") == "Namespaced",
                ShortNames = (names["shortNames"] as JsonArray ?? []).Select(Json.AsString).OfType<string>().ToList(),
                Categories = (names["categories"] as JsonArray ?? []).Select(Json.AsString).OfType<string>().ToList(),
                HasStatusSubresource = Json.At(v, "subresources", "status") is not null,
                HasGeneration = true,
                AllowUnconditionalUpdate = false,
                StrategicMergeSupported = false,
                ReturnDeletedObject = true,
                IsCustom = true,
            });
        }

        _catalog.SetCustom($"{plural}.{group}", types);
    }
}
