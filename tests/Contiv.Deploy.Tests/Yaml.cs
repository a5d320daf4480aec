using YamlDotNet.RepresentationModel;

namespace Contiv.Deploy.Tests;

/// <summary>Small path helpers over YamlDotNet's representation model.</summary>
internal static class Yaml
{
    /// <summary>Parses one YAML document (a config file held in a ConfigMap).</summary>
    public static YamlMappingNode Document(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode map
            ? map
            : throw new InvalidDataException("the document is not a mapping");
    }

    /// <summary>The node at a dotted path of mapping keys (exact, case-sensitive), or null.</summary>
    public static YamlNode? At(YamlNode node, string path)
    {
        YamlNode? current = node;
        foreach (var key in path.Split('.'))
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>The scalar at a dotted path, or null.</summary>
    public static string? Text(YamlNode node, string path) => At(node, path) is YamlScalarNode s ? s.Value : null;

    /// <summary>The items of the sequence at a path (empty when absent).</summary>
    public static IReadOnlyList<YamlNode> Items(YamlNode node, string path) =>
        At(node, path) is YamlSequenceNode seq ? seq.Children.ToList() : [];

    /// <summary>The scalars of the sequence at a path (empty when absent).</summary>
    public static IReadOnlyList<string> Strings(YamlNode node, string path) =>
        Items(node, path).Select(n => ((YamlScalarNode)n).Value ?? string.Empty).ToList();
}
