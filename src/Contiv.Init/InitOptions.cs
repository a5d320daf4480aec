using Microsoft.Extensions.Logging;

namespace Contiv.Init;

/// <summary>Settings of contiv-init.</summary>
internal sealed record InitOptions
{
    /// <summary>contiv.conf, or null for defaults.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>This node's name.</summary>
    public required string NodeName { get; init; }

    /// <summary>The node's host namespace (for stealFirstNIC); null = contiv-init's own.</summary>
    public string? Netns { get; init; }

    /// <summary>contiv-stn's socket (from contiv.conf's stnSocketFile unless given).</summary>
    public string StnSocket { get; init; } = "/var/run/contiv/stn.sock";

    /// <summary>The data plane executable and its arguments.</summary>
    public required string Vpp { get; init; }

    /// <inheritdoc cref="Vpp"/>
    public IReadOnlyList<string> VppArgs { get; init; } = [];

    /// <summary>The agent executable and its arguments.</summary>
    public required string Agent { get; init; }

    /// <inheritdoc cref="Agent"/>
    public IReadOnlyList<string> AgentArgs { get; init; } = [];

    /// <summary>Minimum log level.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
}
