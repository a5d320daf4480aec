using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Resources;

/// <summary>
/// Field-selector fields of core/v1 Events, as kube-apiserver accepts them: <c>kubectl describe</c> lists a pod's
/// events with <c>involvedObject.name=…,involvedObject.namespace=…,involvedObject.uid=…</c>.
/// </summary>
internal static class EventFields
{
    /// <summary>The selectable fields and their extractors.</summary>
    public static IReadOnlyDictionary<string, Func<JsonObject, string>> All { get; } = new Dictionary<string, Func<JsonObject, string>>
    {
        ["involvedObject.kind"] = o => Json.Str(o, "involvedObject", "kind") ?? string.Empty,
        ["involvedObject.namespace"] = o => Json.Str(o, "involvedObject", "namespace") ?? string.Empty,
        ["involvedObject.name"] = o => Json.Str(o, "involvedObject", "name") ?? string.Empty,
        ["involvedObject.uid"] = o => Json.Str(o, "involvedObject", "uid") ?? string.Empty,
        ["involvedObject.apiVersion"] = o => Json.Str(o, "involvedObject", "apiVersion") ?? string.Empty,
        ["involvedObject.resourceVersion"] = o => Json.Str(o, "involvedObject", "resourceVersion") ?? string.Empty,
        ["involvedObject.fieldPath"] = o => Json.Str(o, "involvedObject", "fieldPath") ?? string.Empty,
        ["reason"] = o => Json.Str(o, "reason") ?? string.Empty,
        ["reportingComponent"] = o => Json.Str(o, "reportingComponent") ?? string.Empty,
        ["source"] = o => Json.Str(o, "source", "component") ?? string.Empty,
        ["type"] = o => Json.Str(o, "type") ?? string.Empty,
    };
}
