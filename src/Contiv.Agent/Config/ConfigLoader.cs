using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Contiv.Agent.Config;

/// <summary>
/// Loads <c>contiv.conf</c>: YAML (or JSON, which is YAML) with case-insensitive keys, then environment
/// overrides <c>CONTIV_&lt;key&gt;[__&lt;subkey&gt;…]=value</c> (e.g. <c>CONTIV_mtuSize=1500</c>,
/// <c>CONTIV_ipamConfig__podSubnetCIDR=10.2.0.0/16</c>), then defaults for everything absent.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>Prefix of override variables.</summary>
    public const string EnvPrefix = "CONTIV_";

    /// <summary>Loads from a file (null or missing path = defaults) plus the given environment.</summary>
    public static ContivConfig Load(string? path, IDictionary? environment = null)
    {
        string? text = null;
        if (!string.IsNullOrEmpty(path))
        {
            if (!File.Exists(path))
            {
                throw new ConfigException($"config file {path} does not exist");
            }

            text = File.ReadAllText(path);
        }

        return Parse(text, environment ?? Environment.GetEnvironmentVariables(), path ?? "<defaults>");
    }

    /// <summary>Parses config text (YAML or JSON; null = empty) and applies environment overrides.</summary>
    public static ContivConfig Parse(string? text, IDictionary? environment = null, string source = "contiv.conf")
    {
        JsonObject root;
        try
        {
            root = string.IsNullOrWhiteSpace(text) ? [] : YamlToJson(text) as JsonObject ?? throw new ConfigException($"{source}: the top level must be a mapping");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ConfigException($"{source}: invalid YAML at line {e.Start.Line}: {e.Message}");
        }

        if (environment is not null)
        {
            ApplyEnvironment(root, environment);
        }

        ContivConfig config;
        try
        {
            config = root.Deserialize(ConfigJson.Default.ContivConfig) ?? new ContivConfig();
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{source}: bad value at {e.Path}: {e.Message}");
        }

        if (config.Govpp.ReplyTimeout <= TimeSpan.Zero)
        {
            throw new ConfigException($"{source}: govpp.replyTimeout must be positive, not {config.Govpp.ReplyTimeout}");
        }

        return config;
    }

    private static void ApplyEnvironment(JsonObject root, IDictionary environment)
    {
        foreach (DictionaryEntry entry in environment)
        {
            var name = entry.Key as string;
            if (name is null || !name.StartsWith(EnvPrefix, StringComparison.OrdinalIgnoreCase) || name.Equals("CONTIV_CONFIG", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var path = name[EnvPrefix.Length..].Split("__", StringSplitOptions.RemoveEmptyEntries);
            if (path.Length == 0)
            {
                continue;
            }

            var node = root;
            for (var i = 0; i < path.Length - 1; i++)
            {
                var key = FindKey(node, path[i]) ?? path[i];
                if (node[key] is not JsonObject child)
                {
                    child = [];
                    node[key] = child;
                }

                node = child;
            }

            var last = FindKey(node, path[^1]) ?? path[^1];
            node[last] = Scalar(entry.Value as string ?? string.Empty, plain: true);
        }
    }

    private static string? FindKey(JsonObject obj, string key)
        => obj.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));

    private static JsonNode? YamlToJson(string text)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(text);
        stream.Load(reader);
        return stream.Documents.Count == 0 ? new JsonObject() : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? string.Empty, Convert(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode s => Scalar(s.Value ?? string.Empty, s.Style is YamlDotNet.Core.ScalarStyle.Plain),
        _ => null,
    };

    private static JsonNode? Scalar(string value, bool plain)
    {
        if (!plain)
        {
            return JsonValue.Create(value);
        }

        if (value is "" or "~" or "null")
        {
            return null;
        }

        if (bool.TryParse(value, out var b))
        {
            return JsonValue.Create(b);
        }

        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        return JsonValue.Create(value);
    }
}
