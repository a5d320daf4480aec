using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.Yaml;

namespace Contiv.Ui.Config;

/// <summary>
/// contiv-ui's YAML config (SPEC §1.9, file named by <c>--config</c> or <c>$CONTIV_UI_CONF</c>): keys as the original
/// UI backend's, plus <c>address</c>, <c>kubeconfig</c>, <c>crdEndpoint</c>, <c>vswitchEndpoints</c>, <c>webRoot</c> and <c>upstreamTimeout</c>
/// (ours). Keys are matched case-insensitively.
/// </summary>
internal sealed record UiConfig
{
    /// <summary>Listening port.</summary>
    public int Port { get; init; } = 9500;

    /// <summary>Listening address (ours; the lab binds 127.0.0.1).</summary>
    public string Address { get; init; } = "0.0.0.0";

    /// <summary>User → password; empty = no authentication.</summary>
    public Dictionary<string, string> BasicAuth { get; init; } = new(StringComparer.Ordinal);

    /// <summary>PEM server certificate: HTTPS when set (with <see cref="ServerKey"/>).</summary>
    public string? ServerCrt { get; init; }

    /// <summary>PEM key of <see cref="ServerCrt"/>.</summary>
    public string? ServerKey { get; init; }

    /// <summary>Agents serve REST over HTTPS.</summary>
    public bool ContivHttpsEnabled { get; init; }

    /// <summary>Basic auth user for the agents' REST.</summary>
    public string? ContivBasicAuthUser { get; init; }

    /// <summary>Its password.</summary>
    public string? ContivBasicAuthPass { get; init; }

    /// <summary>PEM CA that signed the agents' REST certificates.</summary>
    public string? ContivCa { get; init; }

    /// <summary>Accept any agent certificate (testing only).</summary>
    public bool ContivInsecureSkipVerify { get; init; }

    /// <summary>The agents' REST port.</summary>
    public int ContivPort { get; init; } = 9999;

    /// <summary>contiv-crd's netctl port on the <c>?master=</c> node address.</summary>
    public int ContivCrdPort { get; init; } = 9090;

    /// <summary>
    /// contiv-crd's base URL when it is not at <c>&lt;master&gt;:contivCRDPort</c> (ours; the lab's contiv-crd listens on
    /// 127.0.0.1): <c>POST /api/netctl</c> then goes there whatever <c>?master=</c> says.
    /// </summary>
    public string? CrdEndpoint { get; init; }

    /// <summary>Kubeconfig for the Kubernetes API (ours); null = in-cluster service account.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>
    /// Node address → agent REST base URL, for agents not reachable at <c>&lt;ip&gt;:contivPort</c> (the lab's agents
    /// listen on 127.0.0.1:999N). The address must still be one of the cluster's nodes.
    /// </summary>
    public Dictionary<string, string> VswitchEndpoints { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Directory of the built web assets; null = <c>contiv-ui-www</c> next to the executable.</summary>
    public string? WebRoot { get; init; }

    /// <summary>How long an upstream request may take before the UI answers 504.</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new DurationConverter() },
    };

    /// <summary>Parses YAML (or JSON) config text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="ArgumentException">The text is not a config.</exception>
    public static UiConfig Parse(string text, string source)
    {
        JsonNode? node;
        try
        {
            node = YamlJson.Parse(text);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or FormatException)
        {
            throw new ArgumentException($"{source}: not valid YAML: {e.Message}", e);
        }

        if (node is null)
        {
            return new UiConfig();
        }

        if (node is not JsonObject)
        {
            throw new ArgumentException($"{source}: expected a mapping of settings, found {node.GetValueKind()}");
        }

        UiConfig config;
        try
        {
            config = node.Deserialize<UiConfig>(Json) ?? new UiConfig();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: {e.Path}: {e.Message}", e);
        }

        return config.Validated(source);
    }

    /// <summary>Reads and parses <paramref name="path"/>.</summary>
    public static UiConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"config file {path} does not exist");
        }

        return Parse(File.ReadAllText(path), path);
    }

    private UiConfig Validated(string source)
    {
        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"{source}: port {Port}: must be 1-65535");
        }

        if (ContivPort is < 1 or > 65535)
        {
            throw new ArgumentException($"{source}: contivPort {ContivPort}: must be 1-65535");
        }

        if (ContivCrdPort is < 1 or > 65535)
        {
            throw new ArgumentException($"{source}: contivCRDPort {ContivCrdPort}: must be 1-65535");
        }

        if (CrdEndpoint is { } crd && (!Uri.TryCreate(crd, UriKind.Absolute, out var c) || (c.Scheme != "http" && c.Scheme != "https")))
        {
            throw new ArgumentException($"{source}: crdEndpoint '{crd}' must be an http(s) URL");
        }

        if (!System.Net.IPAddress.TryParse(Address, out _))
        {
            throw new ArgumentException($"{source}: address '{Address}' is not an IP address");
        }

        if ((ServerCrt is null) != (ServerKey is null))
        {
            throw new ArgumentException($"{source}: serverCrt and serverKey go together (HTTPS needs both)");
        }

        if (UpstreamTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{source}: upstreamTimeout {UpstreamTimeout}: must be positive");
        }

        foreach (var (ip, url) in VswitchEndpoints)
        {
            if (!System.Net.IPAddress.TryParse(ip, out _) || !Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
            {
                throw new ArgumentException($"{source}: vswitchEndpoints '{ip}': '{url}' must map a node IP to an http(s) URL");
            }
        }

        return this;
    }
}
