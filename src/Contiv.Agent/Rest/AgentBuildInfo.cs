using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Contiv.Agent.Rest;

/// <summary>Build and process facts the probes report (contiv-netctl <c>nodes</c> shows them).</summary>
internal static class AgentBuildInfo
{
    /// <summary>The agent's informational version (assembly version when none).</summary>
    public static string Version { get; } =
        typeof(AgentBuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(AgentBuildInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>When the agent's executable was built (its file's modification time, UTC, ISO 8601).</summary>
    public static string Date { get; } = BuildDate();

    /// <summary>When this agent process started (UTC, ISO 8601).</summary>
    public static string StartTime { get; } = Process.GetCurrentProcess().StartTime.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location (NativeAOT, single file) falls back to the executable.")]
    private static string BuildDate()
    {
        // Single-file publishes have no assembly location: fall back to the executable itself.
        var path = typeof(AgentBuildInfo).Assembly.Location is { Length: > 0 } l ? l : Environment.ProcessPath;
        return path is not null && File.Exists(path)
            ? File.GetLastWriteTimeUtc(path).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)
            : "unknown";
    }
}
