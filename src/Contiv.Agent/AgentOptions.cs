namespace Contiv.Agent;

/// <summary>Command-line options of <c>contiv-agent</c>.</summary>
internal sealed record AgentOptions
{
    /// <summary>Path of contiv.conf (null = defaults only).</summary>
    public string? ConfigPath { get; init; }

    /// <summary>This node's name (the agent's etcd label).</summary>
    public required string NodeName { get; init; }

    /// <summary>etcd endpoints (http://host:port).</summary>
    public required IReadOnlyList<string> EtcdEndpoints { get; init; }

    /// <summary>This node's host network namespace (name or path); null = the process's own.</summary>
    public string? Netns { get; init; }

    /// <summary>contiv-vpp's API socket.</summary>
    public string VppApiSocket { get; init; } = "/run/vpp/api.sock";

    /// <summary>Unix socket of the CNI gRPC server.</summary>
    public string CniSocket { get; init; } = "/var/run/contiv/cni.sock";

    /// <summary>Group that may use the CNI socket too (mode 0660); null = root only (0600).</summary>
    public string? CniSocketGroup { get; init; }

    /// <summary>REST port.</summary>
    public int RestPort { get; init; } = 9999;

    /// <summary>REST listen address: node-local by default (docs/security.md).</summary>
    public string RestAddress { get; init; } = "127.0.0.1";

    /// <summary>HTTPS and basic authentication of the REST endpoint.</summary>
    public Contiv.Hosting.RestSecurityOptions RestSecurity { get; init; } = new();

    /// <summary>Lets <c>POST /vpp/command</c> run any CLI command, not only <c>show …</c>.</summary>
    public bool AllowCliChanges { get; init; }

    /// <summary>etcd TLS and authentication (the endpoints come from <see cref="EtcdEndpoints"/>).</summary>
    public Contiv.Store.EtcdBrokerOptions EtcdSecurity { get; init; } = new();

    /// <summary>Directory for the agent's small state files (local pods, etcd mirror).</summary>
    public string StateDir { get; init; } = "/var/run/contiv";

    /// <summary>Minimum log level.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;
}
