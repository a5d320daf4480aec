using System.CommandLine;
using Contiv.Store;
using Contiv.Telemetry.Collection;

namespace Contiv.Netctl;

/// <summary>
/// Options every command takes (recursive): etcd endpoint and security like the other etcd clients
/// (defaults from <c>ETCDCTL_*</c>, which <c>contiv-lab env</c> exports), and the agent HTTP client
/// options of SPEC §1.5 (defaults from <c>CONTIV_AGENT_*</c>).
/// </summary>
internal sealed class GlobalOptions
{
    public Option<string?> Etcd { get; } = Recursive(new Option<string?>("--etcd") { Description = "etcd endpoints, comma-separated (host:port or http(s)://host:port); default: $ETCDCTL_ENDPOINTS, else $ETCD_ENDPOINTS, else 127.0.0.1:2379" });

    public Option<string?> EtcdCa { get; } = Recursive(new Option<string?>("--etcd-ca-file") { Description = "PEM CA of etcd's server certificate; default: $ETCDCTL_CACERT" });

    public Option<string?> EtcdCert { get; } = Recursive(new Option<string?>("--etcd-cert-file") { Description = "PEM client certificate for etcd mutual TLS; default: $ETCDCTL_CERT" });

    public Option<string?> EtcdKey { get; } = Recursive(new Option<string?>("--etcd-key-file") { Description = "PEM private key of --etcd-cert-file; default: $ETCDCTL_KEY" });

    public Option<string?> EtcdUser { get; } = Recursive(new Option<string?>("--etcd-user") { Description = "etcd user (with --etcd-password-file)" });

    public Option<string?> EtcdPasswordFile { get; } = Recursive(new Option<string?>("--etcd-password-file") { Description = "file whose first line is the etcd password" });

    public Option<int?> AgentPort { get; } = Recursive(new Option<int?>("--agent-port") { Description = "agents' REST port (URL http(s)://{management IP}:{port}); default: $CONTIV_AGENT_PORT, else 9999" });

    public Option<bool> AgentHttps { get; } = Recursive(new Option<bool>("--agent-https") { Description = "reach agents over HTTPS; default: $CONTIV_AGENT_HTTPS=true" });

    public Option<string?> AgentEndpoints { get; } = Recursive(new Option<string?>("--agent-endpoints") { Description = "per-node agent URLs overriding {management IP}:{port}, e.g. node1=http://127.0.0.1:9991,node2=…; default: $CONTIV_AGENT_ENDPOINTS" });

    public Option<string?> AgentUser { get; } = Recursive(new Option<string?>("--agent-user") { Description = "HTTP basic-auth user for agents (with --agent-password-file); default: $CONTIV_AGENT_USER" });

    public Option<string?> AgentPasswordFile { get; } = Recursive(new Option<string?>("--agent-password-file") { Description = "file whose first line is the agents' basic-auth password; default: $CONTIV_AGENT_PASSWORD_FILE" });

    public Option<string?> AgentCa { get; } = Recursive(new Option<string?>("--agent-ca-file") { Description = "PEM CA that agents' server certificates must chain to; default: $CONTIV_AGENT_CA_FILE, else the system trust" });

    public Option<bool> AgentInsecure { get; } = Recursive(new Option<bool>("--agent-insecure") { Description = "do not verify agents' server certificates" });

    public Option<double> Timeout { get; } = Recursive(new Option<double>("--timeout") { Description = "seconds to wait for etcd and for each agent request", DefaultValueFactory = _ => 5 });

    public void AddTo(RootCommand root)
    {
        foreach (var o in new Option[] { Etcd, EtcdCa, EtcdCert, EtcdKey, EtcdUser, EtcdPasswordFile, AgentPort, AgentHttps, AgentEndpoints, AgentUser, AgentPasswordFile, AgentCa, AgentInsecure, Timeout })
        {
            root.Options.Add(o);
        }
    }

    /// <summary>The etcd options; fails naming the bad value.</summary>
    public EtcdBrokerOptions EtcdOptions(ParseResult parse)
    {
        var endpoints = (parse.GetValue(Etcd) ?? Env("ETCDCTL_ENDPOINTS") ?? Env("ETCD_ENDPOINTS") ?? "127.0.0.1:2379")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => e.Contains("://", StringComparison.Ordinal) ? e : "http://" + e).ToList();
        var timeout = TimeSpan.FromSeconds(parse.GetValue(Timeout));
        var options = new EtcdBrokerOptions
        {
            Endpoints = endpoints,
            CaFile = parse.GetValue(EtcdCa) ?? Env("ETCDCTL_CACERT"),
            CertFile = parse.GetValue(EtcdCert) ?? Env("ETCDCTL_CERT"),
            KeyFile = parse.GetValue(EtcdKey) ?? Env("ETCDCTL_KEY"),
            Username = parse.GetValue(EtcdUser),
            Password = ReadPassword(parse.GetValue(EtcdPasswordFile), "--etcd-password-file"),
            RequestTimeout = timeout,
            RetryTimeout = timeout,
        };
        options.Validate();
        return options;
    }

    /// <summary>The agent client options; fails naming the bad value.</summary>
    public AgentClientOptions AgentOptions(ParseResult parse)
    {
        var port = parse.GetValue(AgentPort) ?? (int.TryParse(Env("CONTIV_AGENT_PORT"), out var p) ? p : 9999);
        return new AgentClientOptions
        {
            Port = port,
            UseHttps = parse.GetValue(AgentHttps) || string.Equals(Env("CONTIV_AGENT_HTTPS"), "true", StringComparison.OrdinalIgnoreCase),
            Endpoints = AgentClientOptions.ParseEndpoints(parse.GetValue(AgentEndpoints) ?? Env(AgentClientOptions.EndpointsVariable)),
            User = parse.GetValue(AgentUser) ?? Env("CONTIV_AGENT_USER"),
            Password = ReadPassword(parse.GetValue(AgentPasswordFile) ?? Env("CONTIV_AGENT_PASSWORD_FILE"), "--agent-password-file"),
            CaFile = parse.GetValue(AgentCa) ?? Env("CONTIV_AGENT_CA_FILE"),
            InsecureSkipVerify = parse.GetValue(AgentInsecure),
            Timeout = TimeSpan.FromSeconds(parse.GetValue(Timeout)),
        };
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string? ReadPassword(string? file, string option)
    {
        if (file is null)
        {
            return null;
        }

        try
        {
            return File.ReadLines(file).FirstOrDefault()?.TrimEnd() ?? string.Empty;
        }
        catch (IOException e)
        {
            throw new ArgumentException($"{option} {file}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ArgumentException($"{option} {file}: {e.Message}", e);
        }
    }

    private static Option<T> Recursive<T>(Option<T> o)
    {
        o.Recursive = true;
        return o;
    }
}
