namespace Contiv.Telemetry.Collection;

/// <summary>
/// How agents' REST APIs are reached (SPEC §1.5 HTTP client options): port, HTTPS, basic auth and
/// server-certificate checking, plus per-node endpoint overrides for setups where agents do not
/// listen on <c>{managementIP}:{port}</c> (the lab: every agent on 127.0.0.1 with its own port).
/// </summary>
public sealed record AgentClientOptions
{
    /// <summary>Environment variable holding <see cref="Endpoints"/> as <c>node1=http://127.0.0.1:9991,node2=…</c>.</summary>
    public const string EndpointsVariable = "CONTIV_AGENT_ENDPOINTS";

    /// <summary>Agent REST port (SPEC: 9999).</summary>
    public int Port { get; init; } = 9999;

    /// <summary>Use HTTPS for <c>{managementIP}:{port}</c> URLs.</summary>
    public bool UseHttps { get; init; }

    /// <summary>Basic-auth user (null: no authentication).</summary>
    public string? User { get; init; }

    /// <summary>Basic-auth password.</summary>
    public string? Password { get; init; }

    /// <summary>PEM CA certificate that agents' server certificates must chain to (null: system trust).</summary>
    public string? CaFile { get; init; }

    /// <summary>Skip server-certificate verification (SPEC's <c>verify-server-cert: false</c>).</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>Timeout of one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Node name → agent base URL; wins over <c>{managementIP}:{port}</c>.</summary>
    public IReadOnlyDictionary<string, string> Endpoints { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The base URL of a node's agent: the override, else <c>http(s)://{managementIp}:{Port}</c>; "" when neither is known.</summary>
    public string BaseUrlFor(string node, string managementIp)
    {
        if (Endpoints.TryGetValue(node, out var url))
        {
            return url.TrimEnd('/');
        }

        return managementIp.Length == 0 ? string.Empty : $"{(UseHttps ? "https" : "http")}://{managementIp}:{Port}";
    }

    /// <summary>Parses <c>node1=URL,node2=URL</c>; fails naming the bad entry.</summary>
    public static Dictionary<string, string> ParseEndpoints(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }

        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !Uri.TryCreate(raw[(eq + 1)..], UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new ArgumentException($"agent endpoint '{raw}' is not NODE=http(s)://HOST:PORT");
            }

            result[raw[..eq]] = raw[(eq + 1)..].TrimEnd('/');
        }

        return result;
    }
}
