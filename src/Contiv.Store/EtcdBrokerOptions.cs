namespace Contiv.Store;

/// <summary>
/// How the broker reaches etcd and how hard it tries. Defaults suit a local etcd; every daemon
/// binds these from its config file (<c>etcd.endpoints</c>, <c>etcd.ca-file</c>, …).
/// </summary>
public sealed record EtcdBrokerOptions
{
    /// <summary>
    /// Client URLs of the etcd members, e.g. <c>http://127.0.0.1:2379</c>; requests are balanced
    /// round-robin over the reachable ones. Use <c>https://</c> together with <see cref="CaFile"/>.
    /// </summary>
    public IReadOnlyList<string> Endpoints { get; init; } = ["http://127.0.0.1:2379"];

    /// <summary>PEM file with the CA that signed etcd's server certificate (TLS); null = system roots.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate for mutual TLS (with <see cref="KeyFile"/>); null = no client certificate.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>etcd user for basic authentication (with <see cref="Password"/>); null = no authentication.</summary>
    public string? Username { get; init; }

    /// <summary>Password of <see cref="Username"/>.</summary>
    public string? Password { get; init; }

    /// <summary>Deadline of a single request attempt.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an operation keeps retrying while etcd is unreachable before it fails with
    /// <see cref="StoreUnavailableException"/>. Watches never give up (they only end on cancellation).
    /// </summary>
    public TimeSpan RetryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First back-off after a failure; doubles (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest back-off between attempts (also caps gRPC's reconnect back-off).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Shortest interval between two health probes. While connected the broker does not poll: a watch on a
    /// probe key stays open and its end triggers the probe; only a watch that cannot stay open falls back
    /// to a probe every interval.
    /// </summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Keys fetched per request when listing a prefix.</summary>
    public int ListPageSize { get; init; } = 1000;

    /// <summary>Checks the options and throws naming the bad one.</summary>
    public void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0)
        {
            throw new ArgumentException("etcd options: at least one endpoint is required", nameof(Endpoints));
        }

        foreach (var e in Endpoints)
        {
            if (!Uri.TryCreate(e, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https") || u.Port <= 0)
            {
                throw new ArgumentException($"etcd options: endpoint '{e}' is not an http:// or https:// URL with host and port", nameof(Endpoints));
            }
        }

        var schemes = Endpoints.Select(e => new Uri(e).Scheme).Distinct(StringComparer.Ordinal).Count();
        if (schemes > 1)
        {
            throw new ArgumentException($"etcd options: endpoints mix http and https: {string.Join(", ", Endpoints)}", nameof(Endpoints));
        }

        if ((CertFile is null) != (KeyFile is null))
        {
            throw new ArgumentException($"etcd options: cert-file '{CertFile}' and key-file '{KeyFile}' must be given together", nameof(CertFile));
        }

        foreach (var (name, file) in new[] { ("ca-file", CaFile), ("cert-file", CertFile), ("key-file", KeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new ArgumentException($"etcd options: {name} '{file}' does not exist", name);
            }
        }

        if ((Username is null) != (Password is null))
        {
            throw new ArgumentException($"etcd options: username '{Username}' and password must be given together", nameof(Username));
        }

        if (ListPageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ListPageSize), ListPageSize, "etcd options: list page size must be positive");
        }

        if (RequestTimeout <= TimeSpan.Zero || InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff || HealthInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"etcd options: timeouts must be positive and max-backoff ({MaxBackoff}) >= initial-backoff ({InitialBackoff})", nameof(MaxBackoff));
        }
    }

    /// <summary>True when the endpoints use TLS.</summary>
    public bool UsesTls => Endpoints.Count > 0 && Endpoints[0].StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
