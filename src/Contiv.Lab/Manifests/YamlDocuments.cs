using System.Text.Json.Nodes;
using Contiv.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Contiv.Lab.Manifests;

/// <summary>
/// Reads multi-document YAML manifests into JSON objects, typed as the lab API server types YAML
/// bodies (<see cref="YamlJson.Convert"/>: <c>containerPort: 8080</c> is a number, <c>"8080"</c> a string).
/// A <c>kind: List</c> document is expanded into its items.
/// </summary>
public static class YamlDocuments
{
    /// <summary>Parses every non-empty document; errors name the source and the line.</summary>
    public static IReadOnlyList<JsonObject> Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FormatException($"{source}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        var result = new List<JsonObject>();
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            var node = YamlJson.Convert(stream.Documents[i].RootNode);
            if (node is null)
            {
                continue;
            }

            if (node is not JsonObject obj)
            {
                throw new FormatException($"{source}: document {i + 1} is not a mapping");
            }

            if (obj["kind"]?.GetValue<string>() == "List" && obj["items"] is JsonArray items)
            {
                result.AddRange(items.OfType<JsonObject>().Select(o => (JsonObject)o.DeepClone()));
                continue;
            }

            result.Add(obj);
        }

        return result;
    }
}
