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

    /// <summary>Keys of the settings that are contiv-crd's own.</summary>
    public static IReadOnlyList<string> OwnKeys { get; } = ["validate-interval", "validate-state", "disable-netctl-rest"];

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
