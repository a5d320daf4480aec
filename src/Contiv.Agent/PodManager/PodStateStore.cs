using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.PodManager;

/// <summary>
/// Persists the local pod list to a small JSON file so a restarted agent knows which pods it wired
/// (SPEC decision 4: rebuilt from what the agent persisted, not from Docker). Null path = in memory only.
/// Writes are durable (<see cref="DurableFile"/>); an unreadable file is moved aside, never deleted.
/// </summary>
internal sealed class PodStateStore(string? path, ILogger log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>File path, if persisted.</summary>
    public string? Path { get; } = path;

    /// <summary>Loads the saved pods (empty when none or unreadable).</summary>
    public IReadOnlyList<LocalPod> Load() => TryLoad(out var pods) ? pods : [];

    /// <summary>
    /// Loads the saved pods. False when the file exists but cannot be read or parsed: it is then renamed to
    /// <c>&lt;path&gt;.unreadable-&lt;UTC time&gt;</c> (kept for inspection) and the caller must rebuild the pods
    /// from elsewhere (the data plane's dump) instead of assuming there are none.
    /// </summary>
    public bool TryLoad(out IReadOnlyList<LocalPod> pods)
    {
        pods = [];
        if (Path is null || !File.Exists(Path))
        {
            return true;
        }

        string? problem;
        try
        {
            var list = JsonSerializer.Deserialize(File.ReadAllText(Path), AgentJson.Default.ListLocalPod);
            problem = list is null ? "it holds null instead of a pod list"
                : list.Any(p => p is null || string.IsNullOrEmpty(p.Name) || string.IsNullOrEmpty(p.ContainerId)) ? "a pod entry lacks its name or container ID"
                : null;
            if (problem is null)
            {
                pods = list!;
                return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            problem = e.Message;
        }

        var aside = $"{Path}.unreadable-{_time.GetUtcNow().ToString("yyyyMMddTHHmmssfffZ", CultureInfo.InvariantCulture)}";
        try
        {
            File.Move(Path, aside);
            DurableFile.SyncDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            log.LogError("pod state file {Path} unreadable ({Error}); moved aside to {Aside}, rebuilding the pods from the data plane", Path, problem, aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogError("pod state file {Path} unreadable ({Error}) and cannot be moved aside ({MoveError}); rebuilding the pods from the data plane", Path, problem, e.Message);
        }

        return false;
    }

    /// <summary>Saves the pods durably.</summary>
    public void Save(IEnumerable<LocalPod> pods)
    {
        if (Path is null)
        {
            return;
        }

        try
        {
            DurableFile.WriteAllText(Path, JsonSerializer.Serialize(pods.ToList(), AgentJson.Default.ListLocalPod));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogError("cannot save pod state to {Path}: {Error}", Path, e.Message);
        }
    }
}
