using System.Globalization;
using Contiv.Ksr.Configuration;

namespace Contiv.Crd.Configuration;

/// <summary>Which state the topology validation asks the agents for (<c>CONTIV_CRD_VALIDATE_STATE</c>).</summary>
internal enum ValidateState
{
    /// <summary>What the data plane holds (southbound), the default.</summary>
    SB,

    /// <summary>What the agent wants (northbound).</summary>
    NB,

    /// <summary>The scheduler's internal view.</summary>
    Internal,
}

/// <summary>
/// Everything contiv-crd can be told. The connection, HTTP and election settings are KSR's
/// (<see cref="KsrSettings"/>: same keys, read from <c>CONTIV_CRD_*</c> instead of <c>CONTIV_KSR_*</c>,
/// HTTP on port 9090, election on <c>/contiv-crd/election</c>); the rest is the telemetry's
/// (SPEC §1.4, §7: <c>CONTIV_CRD_VALIDATE_INTERVAL</c> minutes, 0 = off; <c>CONTIV_CRD_VALIDATE_STATE</c>;
/// <c>DISABLE_NETCTL_REST</c>).
/// </summary>
internal sealed class CrdSettings
{
    /// <summary>Environment variable prefix.</summary>
    public const string EnvironmentPrefix = "CONTIV_CRD_";

    /// <summary>Creates the defaults.</summary>
    public CrdSettings()
    {
        Common.HttpAddress = "127.0.0.1:9090";
        Common.Identity = $"{Environment.MachineName}-crd-{Environment.ProcessId}";
    }

    /// <summary>etcd, Kubernetes, HTTP, election and logging settings (KSR's).</summary>
    public KsrSettings Common { get; } = new();

    /// <summary>Minutes between two validation rounds (<c>validate-interval</c>); 0 disables them.</summary>
    public int ValidateIntervalMinutes { get; set; } = 5;

    /// <summary>State the validation reads from the agents (<c>validate-state</c>).</summary>
    public ValidateState ValidateState { get; set; } = ValidateState.SB;

    /// <summary>No <c>POST /netctl</c> (<c>disable-netctl-rest</c>, env <c>DISABLE_NETCTL_REST</c>).</summary>
    public bool DisableNetctlRest { get; set; }

    /// <summary>
    /// Agents' REST URLs overriding <c>{management IP}:{agent-port}</c> (<c>agent-endpoints</c>, also
    /// <c>CONTIV_AGENT_ENDPOINTS</c>): <c>node1=http://127.0.0.1:9991,…</c>, or <c>@FILE</c> holding that
    /// text, re-read every round (the lab keeps such a file as nodes come and go).
    /// </summary>
    public string? AgentEndpoints { get; set; }

    /// <summary>Agents' REST port (<c>agent-port</c>).</summary>
    public int AgentPort { get; set; } = 9999;

    /// <summary>Reach the agents over HTTPS (<c>agent-https</c>).</summary>
    public bool AgentHttps { get; set; }

    /// <summary>PEM CA of the agents' server certificates (<c>agent-ca-file</c>).</summary>
    public string? AgentCaFile { get; set; }

    /// <summary>Basic-auth user for the agents (<c>agent-user</c>).</summary>
    public string? AgentUser { get; set; }

    /// <summary>File whose first line is the agents' basic-auth password (<c>agent-password-file</c>).</summary>
    public string? AgentPasswordFile { get; set; }

    /// <summary>Keys of the settings that are contiv-crd's own.</summary>
    public static IReadOnlyList<string> OwnKeys { get; } =
        ["validate-interval", "validate-state", "disable-netctl-rest", "agent-endpoints", "agent-port", "agent-https", "agent-ca-file", "agent-user", "agent-password-file"];

    /// <summary>Sets one setting from text (an own key or one of KSR's).</summary>
    /// <param name="key">Setting key.</param>
    /// <param name="value">Its value.</param>
    /// <param name="source">Where the value came from, for error messages.</param>
    /// <exception cref="ArgumentException">Unknown key or bad value, naming both.</exception>
    public void Set(string key, string value, string source)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (key)
        {
            case "validate-interval":
                ValidateIntervalMinutes = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
                    ? minutes
                    : throw new ArgumentException($"{source}: bad value '{value}' for 'validate-interval' (minutes, 0 = off)");
                break;
            case "validate-state":
                ValidateState = Enum.TryParse<ValidateState>(value, ignoreCase: true, out var state)
                    ? state
                    : throw new ArgumentException($"{source}: bad value '{value}' for 'validate-state' (SB, NB or internal)");
                break;
            case "disable-netctl-rest":
                DisableNetctlRest = bool.TryParse(value, out var disable)
                    ? disable
                    : throw new ArgumentException($"{source}: bad value '{value}' for 'disable-netctl-rest' (true or false)");
                break;
            case "agent-endpoints":
                AgentEndpoints = value.Length == 0 ? null : value;
                break;
            case "agent-port":
                AgentPort = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var agentPort) && agentPort is > 0 and < 65536
                    ? agentPort
                    : throw new ArgumentException($"{source}: bad value '{value}' for 'agent-port' (1-65535)");
                break;
            case "agent-https":
                AgentHttps = bool.TryParse(value, out var https)
                    ? https
                    : throw new ArgumentException($"{source}: bad value '{value}' for 'agent-https' (true or false)");
                break;
            case "agent-ca-file":
                AgentCaFile = value.Length == 0 ? null : value;
                break;
            case "agent-user":
                AgentUser = value.Length == 0 ? null : value;
                break;
            case "agent-password-file":
                AgentPasswordFile = value.Length == 0 ? null : value;
                break;
            default:
                Common.Set(key, [value], source);
                break;
        }
    }

    /// <summary>Applies <c>CONTIV_CRD_*</c> and <c>DISABLE_NETCTL_REST</c>.</summary>
    /// <param name="environment">The environment.</param>
    public void ApplyEnvironment(IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var key in OwnKeys.Concat(KsrSettings.Properties.Keys))
        {
            var name = EnvironmentPrefix + key.ToUpperInvariant().Replace('-', '_');
            if (environment.TryGetValue(name, out var value) && value is not null)
            {
                Set(key, value, $"environment variable {name}");
            }
        }

        // contiv-netctl's variable (set by `contiv-lab env`) when contiv-crd's own is absent.
        if (AgentEndpoints is null && environment.TryGetValue("CONTIV_AGENT_ENDPOINTS", out var endpoints) && !string.IsNullOrEmpty(endpoints))
        {
            AgentEndpoints = endpoints;
        }

        if (environment.TryGetValue("DISABLE_NETCTL_REST", out var disable) && disable is not null)
        {
            Set("disable-netctl-rest", disable, "environment variable DISABLE_NETCTL_REST");
        }
    }

    /// <summary>Checks the settings and throws naming the bad one.</summary>
    public void Validate()
    {
        Common.Validate();
        if (ValidateIntervalMinutes < 0)
        {
            throw new ArgumentException($"validate-interval: {ValidateIntervalMinutes} is negative");
        }
    }
}
