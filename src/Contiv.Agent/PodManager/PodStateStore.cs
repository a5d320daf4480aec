using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.PodManager;

/// <summary>
/// Persists the local pod list to a small JSON file so a restarted agent knows which pods it wired
/// (SPEC decision 4: rebuilt from what the agent persisted, not from Docker). Null path = in memory only.
/// </summary>
public sealed class PodStateStore(string? path, ILogger log)
{
    /// <summary>File path, if persisted.</summary>
    public string? Path { get; } = path;

    /// <summary>Loads the saved pods (empty when none or unreadable).</summary>
    public IReadOnlyList<LocalPod> Load()
    {
        if (Path is null || !File.Exists(Path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<LocalPod>>(File.ReadAllText(Path)) ?? [];
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            log.LogWarning("pod state file {Path} unreadable ({Error}); starting without saved pods", Path, e.Message);
            return [];
        }
    }

    /// <summary>Saves the pods atomically.</summary>
    public void Save(IEnumerable<LocalPod> pods)
    {
        if (Path is null)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var tmp = Path + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(pods.ToList()));
            File.Move(tmp, Path, overwrite: true);
        }
        catch (IOException e)
        {
            log.LogError("cannot save pod state to {Path}: {Error}", Path, e.Message);
        }
    }
}
