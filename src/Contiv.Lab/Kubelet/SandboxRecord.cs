using System.Text.Json;
using System.Text.Json.Nodes;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// What the kubelet stand-in remembers about one pod sandbox on disk (like a runtime's CNI result
/// cache): enough to run CNI DEL and remove the namespace after the kubelet itself restarted.
/// </summary>
public sealed class SandboxRecord
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Pod UID.</summary>
    public string PodUid { get; set; } = string.Empty;

    /// <summary>Pod namespace.</summary>
    public string PodNamespace { get; set; } = string.Empty;

    /// <summary>Pod name.</summary>
    public string PodName { get; set; } = string.Empty;

    /// <summary>Sandbox id (CNI_CONTAINERID).</summary>
    public string ContainerId { get; set; } = string.Empty;

    /// <summary>Network namespace name (under /run/netns), or the node's for hostNetwork pods.</summary>
    public string Netns { get; set; } = string.Empty;

    /// <summary>True for hostNetwork pods (no CNI, no own namespace).</summary>
    public bool HostNetwork { get; set; }

    /// <summary>The CNI ADD result, as JSON text (null until ADD succeeded).</summary>
    public string? Result { get; set; }

    /// <summary>runtimeConfig passed to the plugins (port mappings), as JSON text.</summary>
    public string? RuntimeConfig { get; set; }

    /// <summary>
    /// Null for sandboxes this kubelet made itself; <c>cri</c> when a CRI runtime owns the sandbox
    /// (<see cref="ContainerId"/> is then the runtime's sandbox id and <see cref="Netns"/> the runtime's namespace).
    /// </summary>
    public string? Runtime { get; set; }

    /// <summary>The namespace's path.</summary>
    public string NetnsPath => "/run/netns/" + Netns;

    /// <summary>The ADD result parsed.</summary>
    public JsonObject? ResultJson => Result is null ? null : JsonNode.Parse(Result) as JsonObject;

    /// <summary>runtimeConfig parsed.</summary>
    public JsonObject? RuntimeConfigJson => RuntimeConfig is null ? null : JsonNode.Parse(RuntimeConfig) as JsonObject;

    /// <summary>The identity passed to CNI.</summary>
    public CniSandbox ToCni() => new(ContainerId, NetnsPath, "eth0", PodNamespace, PodName, PodUid);

    /// <summary>Writes the record to <c>{dir}/{uid}.json</c>.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, PodUid + ".json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Deletes the record file.</summary>
    public void Delete(string dir) => File.Delete(Path.Combine(dir, PodUid + ".json"));

    /// <summary>All records in <paramref name="dir"/> (unreadable files are skipped and reported).</summary>
    public static IReadOnlyList<SandboxRecord> LoadAll(string dir, Action<string> warn)
    {
        var list = new List<SandboxRecord>();
        if (!Directory.Exists(dir))
        {
            return list;
        }

        foreach (var file in Directory.GetFiles(dir, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<SandboxRecord>(File.ReadAllText(file), Json) is { } r)
                {
                    list.Add(r);
                }
            }
            catch (JsonException e)
            {
                warn($"skipping unreadable sandbox record {file}: {e.Message}");
            }
        }

        return list;
    }
}
