using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Resources;

/// <summary>
/// One served resource of one group version (e.g. <c>pods</c> in <c>v1</c>): its names for discovery,
/// the behaviour of its registry strategy, and the fields its field selectors accept.
/// </summary>
public sealed class ResourceType
{
    /// <summary>API group; empty for the core group.</summary>
    public required string Group { get; init; }

    /// <summary>Version, e.g. <c>v1</c>.</summary>
    public required string Version { get; init; }

    /// <summary>Kind, e.g. <c>Pod</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Plural resource name used in URLs, e.g. <c>pods</c>.</summary>
    public required string Plural { get; init; }

    /// <summary>Singular name, e.g. <c>pod</c>.</summary>
    public required string Singular { get; init; }

    /// <summary>True when objects live in a namespace.</summary>
    public required bool Namespaced { get; init; }

    /// <summary>Short names for kubectl (<c>po</c>).</summary>
    public IReadOnlyList<string> ShortNames { get; init; } = [];

    /// <summary>Categories (<c>all</c>).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>True when the kind has a <c>status</c> subresource: main writes keep status, status writes keep the rest.</summary>
    public bool HasStatusSubresource { get; init; }

    /// <summary>True when the kind has an <c>autoscaling/v1</c> <c>scale</c> subresource over <c>spec.replicas</c>.</summary>
    public bool HasScaleSubresource { get; init; }

    /// <summary>True when <c>metadata.generation</c> is kept (1 on create, +1 on spec change).</summary>
    public bool HasGeneration { get; init; }

    /// <summary>PUT of a missing object creates it (services, endpoints, leases).</summary>
    public bool AllowCreateOnUpdate { get; init; }

    /// <summary>PUT without <c>metadata.resourceVersion</c> is allowed (built-in kinds; not custom resources).</summary>
    public bool AllowUnconditionalUpdate { get; init; } = true;

    /// <summary>DELETE answers with the deleted object; otherwise with a success Status.</summary>
    public bool ReturnDeletedObject { get; init; }

    /// <summary>Strategic merge patch is accepted (built-in kinds only; custom resources get 415).</summary>
    public bool StrategicMergeSupported { get; init; } = true;

    /// <summary>Extra field-selector fields beyond <c>metadata.name</c>/<c>metadata.namespace</c>, with their extractors.</summary>
    public IReadOnlyDictionary<string, Func<JsonObject, string>> SelectableFields { get; init; } = new Dictionary<string, Func<JsonObject, string>>();

    /// <summary>True for resources defined by a CustomResourceDefinition.</summary>
    public bool IsCustom { get; init; }

    /// <summary><c>apiVersion</c> value: <c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>Kind of the list object, e.g. <c>PodList</c>.</summary>
    public string ListKind => Kind + "List";

    /// <summary>Resource name qualified with the group as used in error messages (<c>pods</c>, <c>networkpolicies.networking.k8s.io</c>).</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>Storage key shared by every version of the resource.</summary>
    public string StoreKey => QualifiedName;

    /// <summary>URL prefix of the group version: <c>/api/v1</c> or <c>/apis/group/version</c>.</summary>
    public string GroupVersionPath => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";

    /// <summary>Verbs served on the resource.</summary>
    public static IReadOnlyList<string> Verbs { get; } = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>Value of a field-selector field of <paramref name="obj"/>, or null when the field is not supported.</summary>
    public string? FieldValue(JsonObject obj, string field)
    {
        switch (field)
        {
            case "metadata.name":
                return Json.Str(obj, "metadata", "name") ?? string.Empty;
            case "metadata.namespace":
                return Json.Str(obj, "metadata", "namespace") ?? string.Empty;
            default:
                return SelectableFields.TryGetValue(field, out var get) ? get(obj) : null;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{QualifiedName}/{Version}";
}
