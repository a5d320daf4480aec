using Microsoft.Extensions.Logging;

namespace Contiv.Stn;

/// <summary>Settings of one contiv-stn process (docs/stn.md).</summary>
internal sealed record StnOptions
{
    /// <summary>Unix socket of the STN gRPC service (mode 0600).</summary>
    public string Socket { get; init; } = "/var/run/contiv/stn.sock";

    /// <summary>Network namespace (name or path) whose NICs are stolen; null = the process's own.</summary>
    public string? Netns { get; init; }

    /// <summary>Where the stolen interfaces are remembered across restarts of contiv-stn.</summary>
    public string StateFile { get; init; } = "/var/run/contiv/stn-state.json";

    /// <summary>Time between the first steal (or a start with stolen interfaces) and the start of the health check.</summary>
    public TimeSpan HealthCheckDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Host-side name of the data plane's host interconnect TAP that the health check watches.</summary>
    public string HostTapName { get; init; } = "vpp1";

    /// <summary>Pause between a revert and its consistency check, and between repairs.</summary>
    public TimeSpan RepairInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>host:port of the status endpoints (<c>/liveness</c>, <c>/readiness</c>, <c>/metrics</c>); empty = off.</summary>
    public string HttpAddress { get; init; } = string.Empty;

    /// <summary>Minimum log level.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
}
