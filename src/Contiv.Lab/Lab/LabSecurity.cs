namespace Contiv.Lab.Lab;

/// <summary>
/// The daemon arguments and HTTP clients of a secure lab (<c>up --secure</c>, <see cref="LabCertificates"/>);
/// for a plain lab every method returns nothing extra and plain HTTP.
/// </summary>
public static class LabSecurity
{
    private static readonly HttpClient Plain = new() { Timeout = TimeSpan.FromSeconds(2) };

    // One client per certificate directory: the lab polls readiness and etcd every 100 ms while starting.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, HttpClient> Secure = new(StringComparer.Ordinal);

    /// <summary><c>https</c> for a secure lab's REST endpoints, else <c>http</c>.</summary>
    public static string Scheme(LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Secure ? "https" : "http";
    }

    /// <summary>etcd's TLS flags: client certificates required, signed by the lab CA.</summary>
    public static IEnumerable<string> EtcdServerArguments(LabInstance lab, LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Secure)
        {
            return [];
        }

        var c = LabCertificates.Of(lab);
        return ["--cert-file", c.ServerCertFile, "--key-file", c.ServerKeyFile, "--trusted-ca-file", c.CaFile, "--client-cert-auth"];
    }

    /// <summary>An etcd client's CA, certificate and key options (named as the daemon names them).</summary>
    public static IEnumerable<string> EtcdClientArguments(LabInstance lab, LabState state, string caOption, string certOption, string keyOption)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Secure)
        {
            return [];
        }

        var c = LabCertificates.Of(lab);
        return [caOption, c.CaFile, certOption, c.ClientCertFile, keyOption, c.ClientKeyFile];
    }

    /// <summary>The agent's etcd TLS and REST HTTPS + basic auth options.</summary>
    public static IEnumerable<string> AgentArguments(LabInstance lab, LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Secure)
        {
            return [];
        }

        var c = LabCertificates.Of(lab);
        return
        [
            .. EtcdClientArguments(lab, state, "--etcd-ca-file", "--etcd-cert-file", "--etcd-key-file"),
            "--rest-cert-file", c.ServerCertFile, "--rest-key-file", c.ServerKeyFile,
            "--rest-user", LabCertificates.RestUser, "--rest-password-file", c.RestPasswordFile,
        ];
    }

    /// <summary>KSR's HTTPS + basic auth options.</summary>
    public static IEnumerable<string> KsrHttpArguments(LabInstance lab, LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Secure)
        {
            return [];
        }

        var c = LabCertificates.Of(lab);
        return ["--http-cert-file", c.ServerCertFile, "--http-key-file", c.ServerKeyFile, "--http-user", LabCertificates.RestUser, "--http-password-file", c.RestPasswordFile];
    }

    /// <summary>contiv-crd's options to reach the agents' REST (HTTPS, CA, basic auth) when secure.</summary>
    public static IEnumerable<string> CrdAgentArguments(LabInstance lab, LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Secure)
        {
            return [];
        }

        var c = LabCertificates.Of(lab);
        return ["--agent-https", "true", "--agent-ca-file", c.CaFile, "--agent-user", LabCertificates.RestUser, "--agent-password-file", c.RestPasswordFile];
    }

    /// <summary>A client for the lab's endpoints: trusting the lab CA, with the client certificate and REST credentials when secure.</summary>
    public static HttpClient HttpClient(LabInstance lab, LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return HttpClient(state.Secure ? LabCertificates.Of(lab).Directory : null);
    }

    /// <summary>
    /// A client for a lab whose certificates are in <paramref name="tlsDir"/> (null: plain HTTP). Only REST
    /// clients send the basic auth header: etcd's gateway would take it for an (invalid) etcd token.
    /// </summary>
    public static HttpClient HttpClient(string? tlsDir, bool restCredentials = true)
    {
        if (tlsDir is null)
        {
            return Plain;
        }

        return Secure.GetOrAdd(tlsDir + (restCredentials ? "#rest" : "#etcd"), _ =>
        {
            var certs = LabCertificates.InDirectory(tlsDir);
            var client = new HttpClient(certs.CreateHandler()) { Timeout = TimeSpan.FromSeconds(2) };
            if (restCredentials)
            {
                client.DefaultRequestHeaders.Authorization = certs.RestAuthorization();
            }

            return client;
        });
    }
}
