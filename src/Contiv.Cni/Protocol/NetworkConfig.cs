using System.Text;
using System.Text.Json;

namespace Contiv.Cni.Protocol;

/// <summary>
/// The network configuration a runtime passes on stdin (one plugin object of a conflist plus
/// <c>cniVersion</c>, <c>name</c>, <c>runtimeConfig</c>, <c>prevResult</c>, <c>cni.dev/*</c>), with
/// contiv-cni's own keys. Unknown keys are accepted and forwarded to the agent untouched.
/// </summary>
public sealed class NetworkConfig
{
    /// <summary>Where the plugin logs when the configuration names no <c>logFile</c>.</summary>
    public const string DefaultLogFile = "/tmp/contiv-cni.log";

    /// <summary>Where attachment records live when the configuration names no <c>dataDir</c>.</summary>
    public const string DefaultDataDir = "/var/lib/cni/contiv-cni";

    private NetworkConfig(string text, string version)
    {
        Text = text;
        CniVersion = version;
    }

    /// <summary>The configuration exactly as read from stdin (forwarded to the agent and to IPAM).</summary>
    public string Text { get; }

    /// <summary>The negotiated spec version: results are printed in its shape.</summary>
    public string CniVersion { get; }

    /// <summary>Network name (<c>name</c>).</summary>
    public string Name { get; private init; } = string.Empty;

    /// <summary>Plugin type (<c>type</c>), normally <c>contiv-cni</c>.</summary>
    public string Type { get; private init; } = string.Empty;

    /// <summary>Agent address: a path starting with <c>/</c> is a unix socket, anything else <c>host:port</c>.</summary>
    public string GrpcServer { get; private init; } = string.Empty;

    /// <summary>Log file path; null disables file logging (<c>"logFile": ""</c>).</summary>
    public string? LogFile { get; private init; }

    /// <summary>
    /// Optional HTTP URL of the agent's readiness probe (<c>readinessUrl</c>, e.g.
    /// <c>http://127.0.0.1:9999/readiness</c>): STATUS then also requires a 200 answer from it.
    /// </summary>
    public Uri? ReadinessUrl { get; private init; }

    /// <summary>Directory of attachment records used by GC (<c>dataDir</c>).</summary>
    public string DataDir { get; private init; } = DefaultDataDir;

    /// <summary><c>ipam.type</c> when an external IPAM plugin is configured, else null.</summary>
    public string? IpamType { get; private init; }

    /// <summary>The result of the previous plugin (ADD in a chain) or of the whole chain (DEL, CHECK).</summary>
    public CniResult? PrevResult { get; private init; }

    /// <summary>
    /// The configuration's <c>dns</c> key (spec: DNS settings for the result), or null. Passed into
    /// the ADD result when the agent's reply carries no DNS of its own.
    /// </summary>
    public CniDns? Dns { get; private init; }

    /// <summary>GC: the attachments the runtime still knows (<c>cni.dev/valid-attachments</c>).</summary>
    public IReadOnlyList<(string ContainerId, string IfName)> ValidAttachments { get; private init; } = [];

    /// <summary>
    /// The version to put in an error result when parsing failed before negotiation completed:
    /// the requested <c>cniVersion</c> when supported, otherwise <see cref="CniVersions.Current"/>.
    /// </summary>
    public static string ErrorVersionOf(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return CniVersions.Current;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                doc.RootElement.TryGetProperty("cniVersion", out var v) && v.ValueKind == JsonValueKind.String &&
                CniVersions.IsSupported(v.GetString()))
            {
                return v.GetString()!;
            }
        }
        catch (JsonException)
        {
            // unparsable: the caller reports that separately
        }

        return CniVersions.Current;
    }

    /// <summary>
    /// Parses and validates stdin: JSON (code 6), version (code 1), then fields (code 7).
    /// </summary>
    public static NetworkConfig Parse(string text, CniCommand command)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new CniException(CniErrorCode.DecodingFailure, "network configuration on stdin is empty");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.DecodingFailure,
                $"network configuration on stdin is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CniException(CniErrorCode.DecodingFailure,
                    $"network configuration on stdin must be a JSON object, not {root.ValueKind.ToString().ToLowerInvariant()}");
            }

            var requested = OptionalString(root, "cniVersion", CniErrorCode.DecodingFailure);
            var versions = new List<string>();
            if (root.TryGetProperty("cniVersions", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                {
                    throw new CniException(CniErrorCode.DecodingFailure, $"cniVersions must be a list of strings, got {Shorten(list)}");
                }

                versions.AddRange(list.EnumerateArray().Select(e => e.GetString()!));
            }

            var version = CniVersions.Negotiate(requested, versions);
            RequireCommandInVersion(command, version);

            var name = RequiredString(root, "name");
            if (!IsValidNetworkName(name))
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"name \"{name}\" is invalid: it must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
            }

            var type = RequiredString(root, "type");
            var grpcServer = RequiredString(root, "grpcServer");
            var logFile = OptionalString(root, "logFile", CniErrorCode.InvalidNetworkConfig);
            var dataDir = OptionalString(root, "dataDir", CniErrorCode.InvalidNetworkConfig);
            if (dataDir is "")
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, "dataDir must not be empty");
            }

            Uri? readiness = null;
            if (OptionalString(root, "readinessUrl", CniErrorCode.InvalidNetworkConfig) is { } url &&
                (!Uri.TryCreate(url, UriKind.Absolute, out readiness) || readiness.Scheme != "http"))
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"readinessUrl \"{url}\" is not an http:// URL (the agent's REST API is plain HTTP)");
            }

            string? ipamType = null;
            if (root.TryGetProperty("ipam", out var ipam) && ipam.ValueKind != JsonValueKind.Null)
            {
                if (ipam.ValueKind != JsonValueKind.Object)
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig, $"ipam must be an object, got {Shorten(ipam)}");
                }

                ipamType = OptionalString(ipam, "type", CniErrorCode.InvalidNetworkConfig, "ipam.");
                if (ipamType is "")
                {
                    ipamType = null;
                }
                else if (ipamType is not null && (ipamType.Contains('/', StringComparison.Ordinal) || ipamType is "." or ".."))
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig,
                        $"ipam.type \"{ipamType}\" must be a plugin name without path separators");
                }
            }

            CniResult? prev = null;
            if (root.TryGetProperty("prevResult", out var prevElement) && prevElement.ValueKind != JsonValueKind.Null)
            {
                prev = CniResult.Parse(prevElement, "prevResult");
            }

            CniDns? dns = null;
            if (root.TryGetProperty("dns", out var dnsElement) && dnsElement.ValueKind != JsonValueKind.Null)
            {
                if (dnsElement.ValueKind != JsonValueKind.Object)
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig, $"dns must be an object, got {Shorten(dnsElement)}");
                }

                dns = CniResult.ParseDns(dnsElement, "network configuration");
            }

            var valid = new List<(string, string)>();
            if (command == CniCommand.Gc && root.TryGetProperty("cni.dev/valid-attachments", out var attachments) &&
                attachments.ValueKind != JsonValueKind.Null)
            {
                if (attachments.ValueKind != JsonValueKind.Array)
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig,
                        $"cni.dev/valid-attachments must be a list, got {Shorten(attachments)}");
                }

                var i = 0;
                foreach (var a in attachments.EnumerateArray())
                {
                    var prefix = $"cni.dev/valid-attachments[{i++}].";
                    if (a.ValueKind != JsonValueKind.Object)
                    {
                        throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{prefix[..^1]} must be an object, got {Shorten(a)}");
                    }

                    valid.Add((RequiredString(a, "containerID", prefix), RequiredString(a, "ifname", prefix)));
                }
            }

            return new NetworkConfig(text, version)
            {
                Name = name,
                Type = type,
                GrpcServer = grpcServer,
                LogFile = logFile is null ? DefaultLogFile : logFile.Length == 0 ? null : logFile,
                DataDir = dataDir ?? DefaultDataDir,
                ReadinessUrl = readiness,
                IpamType = ipamType,
                PrevResult = prev,
                Dns = dns is { IsEmpty: false } ? dns : null,
                ValidAttachments = valid,
            };
        }
    }

    /// <summary>Network name rule of the spec: alphanumeric first, then alphanumerics, <c>_ . -</c>.</summary>
    public static bool IsValidNetworkName(string name) => CniEnvironment.IsValidContainerId(name);

    private static void RequireCommandInVersion(CniCommand command, string version)
    {
        var minimum = command switch
        {
            CniCommand.Check => "0.4.0",
            CniCommand.Status or CniCommand.Gc => "1.1.0",
            _ => null,
        };
        if (minimum is not null && !CniVersions.AtLeast(version, minimum))
        {
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"{command.ToString().ToUpperInvariant()} needs cniVersion {minimum} or newer; the configuration asks for {version}");
        }
    }

    private static string RequiredString(JsonElement obj, string key, string prefix = "")
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"network configuration has no \"{prefix}{key}\"");
        }

        if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{prefix}{key} must be a non-empty string, got {Shorten(v)}");
        }

        return v.GetString()!;
    }

    private static string? OptionalString(JsonElement obj, string key, int code, string prefix = "")
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw new CniException(code, $"{prefix}{key} must be a string, got {Shorten(v)}");
        }

        return v.GetString();
    }

    /// <summary>A JSON value as text for error messages, cut to a readable length.</summary>
    internal static string Shorten(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 60 ? raw : string.Concat(raw.AsSpan(0, 57), "...");
    }

    /// <summary>Largest network configuration read from stdin (1 MiB; real conflists with a prevResult are a few KiB).</summary>
    public const int MaxStdinBytes = 1 << 20;

    /// <summary>Reads all of stdin as UTF-8, at most <see cref="MaxStdinBytes"/>.</summary>
    /// <exception cref="CniException">Code 5 on an I/O error; code 107 when stdin is larger than the limit.</exception>
    public static string ReadStdin(Stream stdin)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        try
        {
            // Read in chunks (a usual configuration is a few KiB) and stop one byte past the limit: that
            // tells "exactly at the limit" from "too large" without reading the rest.
            using var content = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while (content.Length <= MaxStdinBytes && (n = stdin.Read(chunk, 0, (int)Math.Min(chunk.Length, MaxStdinBytes + 1 - content.Length))) > 0)
            {
                content.Write(chunk, 0, n);
            }

            if (content.Length > MaxStdinBytes)
            {
                throw new CniException(CniErrorCode.StdinTooLarge, $"the network configuration on stdin exceeds the limit of {MaxStdinBytes} bytes (1 MiB)");
            }

            return new UTF8Encoding(false).GetString(content.GetBuffer(), 0, (int)content.Length);
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IoFailure, $"reading the network configuration from stdin failed: {e.Message}");
        }
    }
}
