using k8s.Models;

namespace Contiv.Ksr.Conversion;

/// <summary>Shared pieces of the conversions: names, label lists, the annotation filter.</summary>
internal static class Metadata
{
    /// <summary>Prefix of the annotations KSR copies into pods and services (SPEC §1.3).</summary>
    public const string ContivAnnotationPrefix = "contivpp.io";

    /// <summary>The object's name; throws when it has none.</summary>
    public static string Name(V1ObjectMeta? meta, string kind)
        => meta?.Name is { Length: > 0 } name
            ? name
            : throw new ConversionException($"{kind} without metadata.name cannot be reflected");

    /// <summary>The object's namespace; throws when a namespaced object has none.</summary>
    public static string Namespace(V1ObjectMeta? meta, string kind)
        => meta?.NamespaceProperty is { Length: > 0 } ns
            ? ns
            : throw new ConversionException($"{kind} {meta?.Name ?? "(no name)"} without metadata.namespace cannot be reflected");

    /// <summary>Labels ordered by key (ordinal), so the record is the same for the same labels.</summary>
    public static IEnumerable<KeyValuePair<string, string>> SortedLabels(IDictionary<string, string>? labels)
        => labels is null
            ? []
            : labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value ?? string.Empty));

    /// <summary>Only the annotations whose key starts with <c>contivpp.io</c>, ordered by key.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ContivAnnotations(IDictionary<string, string>? annotations)
        => annotations is null
            ? []
            : annotations
                .Where(kv => kv.Key.StartsWith(ContivAnnotationPrefix, StringComparison.Ordinal))
                .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value ?? string.Empty));
}
