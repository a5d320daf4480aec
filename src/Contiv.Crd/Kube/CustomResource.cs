using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Contiv.Crd.Kube;

/// <summary>
/// One custom resource as the informers see it: metadata typed, <c>spec</c> and <c>status</c> kept as
/// raw JSON (each kind's conversion reads its own fields).
/// </summary>
internal sealed class CustomResource : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = string.Empty;

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The object's <c>spec</c> (undefined when absent).</summary>
    [JsonPropertyName("spec")]
    public JsonElement Spec { get; set; }

    /// <summary>The object's <c>status</c> (undefined when absent).</summary>
    [JsonPropertyName("status")]
    public JsonElement Status { get; set; }

    /// <summary>"namespace/name" (or the name of a cluster-scoped object), for messages.</summary>
    [JsonIgnore]
    public string Id => string.IsNullOrEmpty(Metadata.NamespaceProperty) ? Metadata.Name : Metadata.NamespaceProperty + "/" + Metadata.Name;

    /// <summary>Reads a custom resource from what KubernetesClient returns for custom objects (a <see cref="JsonElement"/>).</summary>
    /// <param name="value">The deserialized response.</param>
    /// <returns>The resource.</returns>
    public static CustomResource From(object value) => value switch
    {
        CustomResource r => r,
        JsonElement e => KubernetesJson.Deserialize<CustomResource>(e.GetRawText()),
        _ => KubernetesJson.Deserialize<CustomResource>(KubernetesJson.Serialize(value)),
    };
}

/// <summary>A list of custom resources (<c>GET /apis/{group}/{version}/{plural}</c>).</summary>
internal sealed class CustomResourceList
{
    /// <summary>List metadata (resourceVersion, continue).</summary>
    [JsonPropertyName("metadata")]
    public V1ListMeta? Metadata { get; set; }

    /// <summary>The items.</summary>
    [JsonPropertyName("items")]
    public List<CustomResource>? Items { get; set; }
}
