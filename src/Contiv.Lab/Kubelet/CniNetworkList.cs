using System.Text.Json;
using System.Text.Json.Nodes;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// A CNI network configuration list (<c>*.conflist</c>) read from disk the way libcni does: the
/// first file of the configuration directory in lexical order; <c>name</c>, <c>cniVersion</c> and
/// the <c>plugins</c> chain, each plugin's configuration kept verbatim.
/// </summary>
public sealed class CniNetworkList
{
    private CniNetworkList(string path, string name, string cniVersion, IReadOnlyList<JsonObject> plugins)
    {
        Path = path;
        Name = name;
        CniVersion = cniVersion;
        Plugins = plugins;
    }

    /// <summary>File the list was read from.</summary>
    public string Path { get; }

    /// <summary>Network name.</summary>
    public string Name { get; }

    /// <summary>Spec version of the list.</summary>
    public string CniVersion { get; }

    /// <summary>Plugin configurations in chain order.</summary>
    public IReadOnlyList<JsonObject> Plugins { get; }

    /// <summary>True when the list's version knows CHECK (0.4.0 and later), as libcni requires.</summary>
    public bool SupportsCheck => Version.TryParse(CniVersion, out var v) && v >= new Version(0, 4, 0);

    /// <summary>Loads the first <c>.conflist</c> of <paramref name="confDir"/>; errors name the file and the problem.</summary>
    public static CniNetworkList LoadFromDirectory(string confDir)
    {
        var file = Directory.Exists(confDir)
            ? Directory.GetFiles(confDir, "*.conflist").Order(StringComparer.Ordinal).FirstOrDefault()
            : null;
        return file is null
            ? throw new FileNotFoundException($"no CNI network configuration list (*.conflist) in {confDir}")
            : Load(file);
    }

    /// <summary>Loads and validates one conflist file.</summary>
    public static CniNetworkList Load(string file)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new InvalidDataException($"{file}: the top level is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: invalid JSON: {e.Message}", e);
        }

        var name = root["name"]?.GetValue<string>() ?? throw new InvalidDataException($"{file}: \"name\" is missing");
        var version = root["cniVersion"]?.GetValue<string>() ?? throw new InvalidDataException($"{file}: \"cniVersion\" is missing");
        if (root["plugins"] is not JsonArray plugins || plugins.Count == 0)
        {
            throw new InvalidDataException($"{file}: \"plugins\" must be a non-empty array");
        }

        var list = new List<JsonObject>();
        for (var i = 0; i < plugins.Count; i++)
        {
            if (plugins[i] is not JsonObject p || p["type"]?.GetValue<string>() is not { Length: > 0 })
            {
                throw new InvalidDataException($"{file}: plugins[{i}] has no \"type\"");
            }

            list.Add(p);
        }

        return new CniNetworkList(file, name, version, list);
    }
}
