using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace Contiv.Ksr.Configuration;

/// <summary>Where endpoint records come from.</summary>
internal enum EndpointsSource
{
    /// <summary>core/v1 Endpoints (what Contiv 3.4 reflects).</summary>
    Endpoints,

    /// <summary>discovery.k8s.io/v1 EndpointSlices, merged per service into the same record.</summary>
    EndpointSlices,
}

/// <summary>
/// Everything contiv-ksr can be told. Sources, later ones winning: built-in defaults, the YAML
/// config file (<c>--config</c>, keys as below, e.g. <c>etcd-endpoints: [http://10.0.0.1:32379]</c>),
/// environment variables (<c>CONTIV_KSR_</c> + key in upper case with '_' for '-', e.g.
/// <c>CONTIV_KSR_ETCD_ENDPOINTS=http://127.0.0.1:2379</c>), then command-line options.
/// </summary>
internal sealed class KsrSettings
{
    /// <summary>Environment variable prefix.</summary>
    public const string EnvironmentPrefix = "CONTIV_KSR_";

    /// <summary>etcd client URLs (<c>etcd-endpoints</c>).</summary>
    [SettingKey("etcd-endpoints")]
    public List<string> EtcdEndpoints { get; set; } = ["http://127.0.0.1:2379"];

    /// <summary>CA certificate for etcd TLS (<c>etcd-ca-file</c>).</summary>
    [SettingKey("etcd-ca-file")]
    public string? EtcdCaFile { get; set; }

    /// <summary>Client certificate for etcd mutual TLS (<c>etcd-cert-file</c>).</summary>
    [SettingKey("etcd-cert-file")]
    public string? EtcdCertFile { get; set; }

    /// <summary>Client key for etcd mutual TLS (<c>etcd-key-file</c>).</summary>
    [SettingKey("etcd-key-file")]
    public string? EtcdKeyFile { get; set; }

    /// <summary>etcd user (<c>etcd-username</c>).</summary>
    [SettingKey("etcd-username")]
    public string? EtcdUsername { get; set; }

    /// <summary>etcd password (<c>etcd-password</c>).</summary>
    [SettingKey("etcd-password")]
    public string? EtcdPassword { get; set; }

    /// <summary>kubeconfig file (<c>kubeconfig</c>); default: in-cluster config, else <c>$KUBECONFIG</c> or <c>~/.kube/config</c>.</summary>
    [SettingKey("kubeconfig")]
    public string? Kubeconfig { get; set; }

    /// <summary>Kubernetes API server URL (<c>master</c>); overrides the kubeconfig's server.</summary>
    [SettingKey("master")]
    public string? Master { get; set; }

    /// <summary>Address of the HTTP server for probes and metrics (<c>http-address</c>); node-local by default (docs/security.md).</summary>
    [SettingKey("http-address")]
    public string HttpAddress { get; set; } = "127.0.0.1:9191";

    /// <summary>PEM server certificate: HTTPS on <c>http-address</c> (<c>http-cert-file</c>, with <c>http-key-file</c>).</summary>
    [SettingKey("http-cert-file")]
    public string? HttpCertFile { get; set; }

    /// <summary>PEM private key of <see cref="HttpCertFile"/> (<c>http-key-file</c>).</summary>
    [SettingKey("http-key-file")]
    public string? HttpKeyFile { get; set; }

    /// <summary>User required by HTTP basic authentication on everything but the probes (<c>http-user</c>).</summary>
    [SettingKey("http-user")]
    public string? HttpUser { get; set; }

    /// <summary>File whose first line is the HTTP password (<c>http-password-file</c>).</summary>
    [SettingKey("http-password-file")]
    public string? HttpPasswordFile { get; set; }

    /// <summary>File whose first line is the etcd password (<c>etcd-password-file</c>; instead of <c>etcd-password</c>, which shows in the process list when given as an option).</summary>
    [SettingKey("etcd-password-file")]
    public string? EtcdPasswordFile { get; set; }

    /// <summary>Campaign for leadership before writing (<c>election</c>); false = always write.</summary>
    [SettingKey("election")]
    public bool Election { get; set; } = true;

    /// <summary>Lease TTL of the election in seconds (<c>election-ttl</c>).</summary>
    [SettingKey("election-ttl")]
    public int ElectionTtlSeconds { get; set; } = 10;

    /// <summary>This instance's name in the election (<c>identity</c>); default host name and pid.</summary>
    [SettingKey("identity")]
    public string Identity { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Endpoints or EndpointSlices (<c>endpoints-source</c>).</summary>
    [SettingKey("endpoints-source")]
    public EndpointsSource EndpointsSource { get; set; } = EndpointsSource.Endpoints;

    /// <summary>Concurrent etcd writers per reflector (<c>writers</c>).</summary>
    [SettingKey("writers")]
    public int WritersPerReflector { get; set; } = 2;

    /// <summary>Interval of the data-loss check and statistics write, in milliseconds (<c>stats-interval-ms</c>).</summary>
    [SettingKey("stats-interval-ms")]
    public int StatsIntervalMs { get; set; } = 1000;

    /// <summary>Server-side timeout of each watch request in seconds (<c>watch-timeout</c>); the watch is then resumed.</summary>
    [SettingKey("watch-timeout")]
    public int WatchTimeoutSeconds { get; set; } = Kube.KubeSource.DefaultWatchTimeoutSeconds;

    /// <summary>Minimum log level (<c>log-level</c>): Trace, Debug, Information, Warning, Error.</summary>
    [SettingKey("log-level")]
    public string LogLevel { get; set; } = "Information";

    /// <summary>Every setting key with its property.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Properties { get; } =
        typeof(KsrSettings).GetProperties()
            .Where(p => p.GetCustomAttribute<SettingKeyAttribute>() is not null)
            .ToDictionary(p => p.GetCustomAttribute<SettingKeyAttribute>()!.Key, p => p, StringComparer.OrdinalIgnoreCase);

    /// <summary>Applies a YAML config file (top-level keys as in <see cref="Properties"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="ignore">Keys another reader of the same file handles (contiv-crd's own settings).</param>
    /// <exception cref="ArgumentException">The file names an unknown key or a bad value.</exception>
    public void ApplyYamlFile(string path, IReadOnlyCollection<string>? ignore = null)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"config file '{path}' does not exist", nameof(path));
        }

        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ArgumentException($"config file '{path}': the top level must be a mapping of setting keys", nameof(path));
        }

        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? string.Empty;
            if (ignore?.Contains(key) == true)
            {
                continue;
            }

            var values = valueNode switch
            {
                YamlSequenceNode seq => seq.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty).ToList(),
                YamlScalarNode scalar => [scalar.Value ?? string.Empty],
                _ => throw new ArgumentException($"config file '{path}': value of '{key}' must be a scalar or a list", nameof(path)),
            };
            Set(key, values, $"config file '{path}'");
        }
    }

    /// <summary>Applies <c>CONTIV_KSR_*</c> environment variables.</summary>
    /// <param name="environment">The environment (name → value).</param>
    public void ApplyEnvironment(IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var key in Properties.Keys)
        {
            var name = EnvironmentPrefix + key.ToUpperInvariant().Replace('-', '_');
            if (environment.TryGetValue(name, out var value) && value is not null)
            {
                Set(key, value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(), $"environment variable {name}");
            }
        }
    }

    /// <summary>Sets one setting from text.</summary>
    /// <param name="key">Setting key, e.g. <c>etcd-endpoints</c>.</param>
    /// <param name="values">The value (several for lists).</param>
    /// <param name="source">Where the value came from, for error messages.</param>
    /// <exception cref="ArgumentException">Unknown key or a value of the wrong type.</exception>
    public void Set(string key, IReadOnlyList<string> values, string source)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!Properties.TryGetValue(key, out var property))
        {
            throw new ArgumentException($"{source}: unknown setting '{key}' (known: {string.Join(", ", Properties.Keys.Order(StringComparer.Ordinal))})", nameof(key));
        }

        var type = property.PropertyType;
        var one = values.Count > 0 ? values[0] : string.Empty;
        try
        {
            object? value = type switch
            {
                _ when type == typeof(List<string>) => values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
                _ when type == typeof(string) => one.Length == 0 ? null : one,
                _ when type == typeof(int) => int.Parse(one, NumberStyles.Integer, CultureInfo.InvariantCulture),
                _ when type == typeof(bool) => bool.Parse(one),
                _ when type.IsEnum => Enum.Parse(type, one, ignoreCase: true),
                _ => throw new ArgumentException($"unsupported setting type {type.Name}"),
            };
            if (value is null && property.GetCustomAttribute<SettingKeyAttribute>() is not null && type == typeof(string) && !IsNullable(property))
            {
                throw new FormatException("must not be empty");
            }

            property.SetValue(this, value);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"{source}: bad value '{string.Join(",", values)}' for '{key}' ({type.Name}): {e.Message}", nameof(values), e);
        }
    }

    /// <summary>Checks the settings and throws naming the bad one.</summary>
    public void Validate()
    {
        if (EtcdEndpoints.Count == 0)
        {
            throw new ArgumentException("etcd-endpoints: at least one etcd endpoint is required");
        }

        if (ElectionTtlSeconds < 2)
        {
            throw new ArgumentException($"election-ttl: {ElectionTtlSeconds} s is too short (at least 2)");
        }

        if (WritersPerReflector is < 1 or > 64)
        {
            throw new ArgumentException($"writers: {WritersPerReflector} is outside 1-64");
        }

        if (WatchTimeoutSeconds < 1)
        {
            throw new ArgumentException($"watch-timeout: {WatchTimeoutSeconds} s is below 1");
        }

        if (StatsIntervalMs < 10)
        {
            throw new ArgumentException($"stats-interval-ms: {StatsIntervalMs} is below 10");
        }

        if (!HttpAddress.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"http-address: '{HttpAddress}' is not host:port");
        }

        var colon = HttpAddress.LastIndexOf(':');
        var host = HttpAddress[..colon].Trim('[', ']');
        if (!int.TryParse(HttpAddress[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535
            || (host is not ("" or "*" or "localhost") && !System.Net.IPAddress.TryParse(host, out _)))
        {
            throw new ArgumentException($"http-address: '{HttpAddress}' is not IP:port (e.g. 127.0.0.1:9191, 0.0.0.0:9191)");
        }

        _ = HttpSecurity();
        if (EtcdPasswordFile is not null)
        {
            EtcdPassword = Contiv.Hosting.RestSecurityOptions.From(null, null, EtcdUsername ?? "etcd", EtcdPasswordFile, "etcd").Password;
        }

        if (!Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(LogLevel, true, out _))
        {
            throw new ArgumentException($"log-level: '{LogLevel}' is not one of Trace, Debug, Information, Warning, Error, Critical, None");
        }
    }

    /// <summary>HTTPS and basic auth of the HTTP server, from the <c>http-*</c> settings.</summary>
    /// <exception cref="ArgumentException">A file is missing or a pair is incomplete.</exception>
    public Contiv.Hosting.RestSecurityOptions HttpSecurity()
        => Contiv.Hosting.RestSecurityOptions.From(HttpCertFile, HttpKeyFile, HttpUser, HttpPasswordFile, "http");

    private static bool IsNullable(PropertyInfo property)
        => new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable;
}

/// <summary>Names a setting (config file key, environment suffix, command-line option).</summary>
/// <param name="key">The key, e.g. <c>etcd-endpoints</c>.</param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SettingKeyAttribute(string key) : Attribute
{
    /// <summary>The key.</summary>
    public string Key { get; } = key;
}
