using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Contiv.Lab.Manifests;

/// <summary>
/// Reads multi-document YAML manifests into JSON objects with YAML 1.2 core-schema typing: plain
/// scalars that look like integers, floats, booleans or null become JSON numbers, booleans and null;
/// quoted scalars stay strings (so <c>containerPort: 8080</c> is a number, <c>"8080"</c> a string).
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
            var node = Convert(stream.Documents[i].RootNode);
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

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ConvertMap(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => throw new FormatException($"unsupported YAML node at line {node.Start.Line}"),
    };

    private static JsonObject ConvertMap(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? throw new FormatException($"non-scalar mapping key at line {key.Start.Line}");
            obj[name] = Convert(value);
        }

        return obj;
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var v = scalar.Value ?? string.Empty;
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(v);
        }

        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (v.Contains('.', StringComparison.Ordinal) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !v.EndsWith('.'))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(v);
    }
}
