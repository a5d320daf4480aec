using System.Collections;
using System.Text.Json.Nodes;
using Contiv.Yaml;

namespace Contiv.Init;

/// <summary>
/// The part of contiv.conf contiv-init needs (SPEC §1.6, §7): <c>stealFirstNIC</c>, <c>stealInterface</c>,
/// <c>stnSocketFile</c> and <c>nodeConfig[].stealInterface</c>. Keys are matched case-insensitively like
/// the agent does; <c>CONTIV_&lt;key&gt;</c> environment variables override top-level keys.
/// </summary>
internal sealed record StnSettings
{
    /// <summary>Steal the first host NIC when no interface is named.</summary>
    public bool StealFirstNic { get; init; }

    /// <summary>Global name of the NIC to steal ("" = none).</summary>
    public string StealInterface { get; init; } = string.Empty;

    /// <summary>contiv-stn's socket.</summary>
    public string StnSocketFile { get; init; } = "/var/run/contiv/stn.sock";

    /// <summary>Per-node <c>stealInterface</c> by node name.</summary>
    public IReadOnlyDictionary<string, string> NodeStealInterface { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="path"/> (null: defaults) and the environment.</summary>
    /// <exception cref="InvalidDataException">The file is missing or a value has the wrong type (names the file and the key).</exception>
    public static StnSettings Load(string? path, IDictionary? environment = null)
    {
        JsonObject root = [];
        if (path is not null)
        {
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"config file {path} does not exist");
            }

            try
            {
                root = YamlJson.Parse(File.ReadAllText(path)) as JsonObject ?? [];
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or FormatException)
            {
                throw new InvalidDataException($"{path}: invalid YAML: {e.Message}", e);
            }
        }

        return From(root, environment ?? Environment.GetEnvironmentVariables(), path ?? "<defaults>");
    }

    private static StnSettings From(JsonObject root, IDictionary environment, string source)
    {
        var perNode = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Get(root, "nodeConfig") is JsonArray nodes)
        {
            foreach (var n in nodes.OfType<JsonObject>())
            {
                var name = Text(n, "nodeName", source);
                var steal = Text(n, "stealInterface", source);
                if (name.Length > 0 && steal.Length > 0)
                {
                    perNode[name] = steal;
                }
            }
        }

        var settings = new StnSettings
        {
            StealFirstNic = Flag(Override(environment, "stealFirstNIC") ?? Get(root, "stealFirstNIC"), "stealFirstNIC", source),
            StealInterface = Override(environment, "stealInterface")?.GetValue<string>() ?? Text(root, "stealInterface", source),
            NodeStealInterface = perNode,
        };
        var socket = Override(environment, "stnSocketFile")?.GetValue<string>() ?? Text(root, "stnSocketFile", source);
        return socket.Length > 0 ? settings with { StnSocketFile = socket } : settings;
    }

    private static JsonNode? Get(JsonObject obj, string key) =>
        obj.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value;

    private static string Text(JsonObject obj, string key, string source) => Get(obj, key) switch
    {
        null => string.Empty,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => throw new InvalidDataException($"{source}: {key} must be a string, not {other.ToJsonString()}"),
    };

    private static bool Flag(JsonNode? node, string key, string source) => node switch
    {
        null => false,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) && bool.TryParse(s, out var b) => b,
        var other => throw new InvalidDataException($"{source}: {key} must be true or false, not {other.ToJsonString()}"),
    };

    private static JsonValue? Override(IDictionary environment, string key)
    {
        foreach (DictionaryEntry e in environment)
        {
            if (e.Key is string name && string.Equals(name, "CONTIV_" + key, StringComparison.OrdinalIgnoreCase) && e.Value is string value)
            {
                return JsonValue.Create(value);
            }
        }

        return null;
    }
}
