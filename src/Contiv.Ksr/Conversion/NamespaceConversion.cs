using k8s.Models;
using KsrNamespace = Contiv.Model.Ksr.Namespace;

namespace Contiv.Ksr.Conversion;

/// <summary>Kubernetes Namespace → KSR <c>namespace.Namespace</c> record (SPEC §1.3).</summary>
internal static class NamespaceConversion
{
    /// <summary>Converts a namespace: its name and its labels as a list sorted by key.</summary>
    /// <param name="ns">The Kubernetes namespace.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ConversionException">The namespace has no name.</exception>
    public static KsrNamespace ToProto(V1Namespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var result = new KsrNamespace { Name = Metadata.Name(ns.Metadata, "namespace") };
        foreach (var (key, value) in Metadata.SortedLabels(ns.Metadata.Labels))
        {
            result.Label.Add(new KsrNamespace.Types.Label { Key = key, Value = value });
        }

        return result;
    }
}
