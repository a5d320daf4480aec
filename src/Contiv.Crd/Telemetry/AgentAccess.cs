using Contiv.Crd.Configuration;
using Contiv.Telemetry.Collection;

namespace Contiv.Crd.Telemetry;

/// <summary>
/// How contiv-crd reaches the agents, from its settings: Contiv.Telemetry's <see cref="AgentClientOptions"/>
/// for the validation, and the same as contiv-netctl environment variables for <c>POST /netctl</c>.
/// <c>agent-endpoints @FILE</c> is read anew each time (the lab rewrites the file as nodes come and go).
/// </summary>
/// <param name="settings">contiv-crd's settings.</param>
internal sealed class AgentAccess(CrdSettings settings)
{
    /// <summary>The current endpoints text (<c>node=URL,…</c>), or null.</summary>
    /// <exception cref="InvalidOperationException">The endpoints file cannot be read.</exception>
    public string? EndpointsText()
    {
        var value = settings.AgentEndpoints;
        if (value is null || !value.StartsWith('@'))
        {
            return value;
        }

        try
        {
            return File.ReadAllText(value[1..]).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"agent-endpoints file '{value[1..]}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The options of one validation round.</summary>
    public AgentClientOptions Options() => new()
    {
        Port = settings.AgentPort,
        UseHttps = settings.AgentHttps,
        CaFile = settings.AgentCaFile,
        User = settings.AgentUser,
        Password = settings.AgentPasswordFile is { } file ? File.ReadLines(file).FirstOrDefault() ?? string.Empty : null,
        Endpoints = AgentClientOptions.ParseEndpoints(EndpointsText()),
    };

    /// <summary>contiv-netctl's environment for the same access.</summary>
    public Dictionary<string, string> NetctlEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ETCDCTL_ENDPOINTS"] = string.Join(",", settings.Common.EtcdEndpoints),
            ["CONTIV_AGENT_PORT"] = settings.AgentPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CONTIV_AGENT_HTTPS"] = settings.AgentHttps ? "true" : "false",
            ["NO_COLOR"] = "1",
        };
        if (EndpointsText() is { Length: > 0 } endpoints)
        {
            env["CONTIV_AGENT_ENDPOINTS"] = endpoints;
        }

        void Optional(string name, string? value)
        {
            if (value is not null)
            {
                env[name] = value;
            }
        }

        Optional("CONTIV_AGENT_CA_FILE", settings.AgentCaFile);
        Optional("CONTIV_AGENT_USER", settings.AgentUser);
        Optional("CONTIV_AGENT_PASSWORD_FILE", settings.AgentPasswordFile);
        Optional("ETCDCTL_CACERT", settings.Common.EtcdCaFile);
        Optional("ETCDCTL_CERT", settings.Common.EtcdCertFile);
        Optional("ETCDCTL_KEY", settings.Common.EtcdKeyFile);
        return env;
    }
}
