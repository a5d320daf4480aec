using System.Text.Json;
using System.Text.Json.Serialization;

namespace Contiv.Lab.Processes;

/// <summary>
/// What a supervisor (<c>contiv-lab supervise</c>) reports about the daemon it keeps running, like a container
/// status in Kubernetes: the running process, its restart count, how it last exited and whether it crash-loops.
/// Written atomically by the supervisor as <c>supervise/NAME.json</c> in the lab's state directory.
/// </summary>
public sealed class SupervisedStatus
{
    /// <summary>Running: the daemon runs.</summary>
    public const string Running = "Running";

    /// <summary>Restarting: the daemon exited once after running a while; it is restarted after a short back-off.</summary>
    public const string Restarting = "Restarting";

    /// <summary>CrashLoopBackOff: the daemon keeps exiting soon after each start; restarts are delayed ever longer.</summary>
    public const string CrashLoopBackOff = "CrashLoopBackOff";

    /// <summary>Stopped: the supervisor was told to stop and the daemon is gone.</summary>
    public const string Stopped = "Stopped";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Component name, e.g. <c>vpp-node1</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>One of <see cref="Running"/>, <see cref="Restarting"/>, <see cref="CrashLoopBackOff"/>, <see cref="Stopped"/>.</summary>
    public string State { get; set; } = Running;

    /// <summary>Pid of the daemon's current process (0 while none runs).</summary>
    public int Pid { get; set; }

    /// <summary>Kernel start time of that process (tells a recycled pid apart).</summary>
    public long StartTicks { get; set; }

    /// <summary>When the current process started (UTC).</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>How often the daemon was restarted.</summary>
    public int Restarts { get; set; }

    /// <summary>How the daemon last exited, e.g. "signal 9 (KILL) after 42.0 s" (null before the first exit).</summary>
    public string? LastExit { get; set; }

    /// <summary>When the last exit happened (UTC).</summary>
    public DateTimeOffset? LastExitAt { get; set; }

    /// <summary>When the next start is due while restarting (UTC).</summary>
    public DateTimeOffset? NextStartAt { get; set; }

    /// <summary>Reads a status file; null when it is missing or unreadable (being replaced, or the supervisor never wrote it).</summary>
    public static SupervisedStatus? Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<SupervisedStatus>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the status file atomically (temp file + rename).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }
}
