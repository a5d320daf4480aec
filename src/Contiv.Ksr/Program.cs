using System.CommandLine;
using Contiv.Ksr.Configuration;
using Contiv.Ksr.Hosting;

namespace Contiv.Ksr;

/// <summary>contiv-ksr: reflects Kubernetes state into etcd (SPEC §1.3).</summary>
internal static class Program
{
    /// <summary>Entry point.</summary>
    /// <param name="args">Command line.</param>
    /// <returns>Exit code: 0 after a clean shutdown, 2 for bad settings, 1 for a failure.</returns>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand(
            "contiv-ksr — Kubernetes State Reflector: mirrors namespaces, pods, services, endpoints, network policies and nodes "
            + "from the Kubernetes API into etcd under /vnf-agent/contiv-ksr/k8s/ (protobuf-JSON), with mark-and-sweep resync, "
            + "data-loss detection and leader election. Settings come from defaults < --config YAML file < CONTIV_KSR_* environment "
            + "variables < command-line options. HTTP: /liveness, /readiness, /stats (Contiv gauges), /metrics.");
        var config = new Option<string?>("--config") { Description = "YAML config file (keys as the long options below, e.g. 'etcd-endpoints: [http://127.0.0.1:2379]')" };
        root.Options.Add(config);
        var options = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var (key, property) in KsrSettings.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var description = SettingDescriptions.TryGetValue(key, out var d) ? d : key;
            Option option = property.PropertyType == typeof(List<string>)
                ? new Option<string[]>("--" + key, key == "etcd-endpoints" ? ["--etcd"] : []) { Description = description, AllowMultipleArgumentsPerToken = true }
                : new Option<string?>("--" + key) { Description = description };
            options[key] = option;
            root.Options.Add(option);
        }

        root.SetAction(async (parse, ct) =>
        {
            var settings = new KsrSettings();
            try
            {
                if (parse.GetValue(config) is { } file)
                {
                    settings.ApplyYamlFile(file);
                }

                settings.ApplyEnvironment(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                    .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal));
                foreach (var (key, option) in options)
                {
                    switch (option)
                    {
                        case Option<string[]> list when parse.GetResult(list) is not null && parse.GetValue(list) is { Length: > 0 } values:
                            settings.Set(key, values, "--" + key);
                            break;
                        case Option<string?> single when parse.GetValue(single) is { } value:
                            settings.Set(key, [value], "--" + key);
                            break;
                    }
                }

                settings.Validate();
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync("contiv-ksr: " + e.Message).ConfigureAwait(false);
                return 2;
            }

            return await KsrHost.RunAsync(settings, ct).ConfigureAwait(false);
        });

        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    private static readonly Dictionary<string, string> SettingDescriptions = new(StringComparer.Ordinal)
    {
        ["etcd-endpoints"] = "etcd client URLs (repeat or comma-separate) [http://127.0.0.1:2379]",
        ["etcd-ca-file"] = "CA certificate (PEM) for etcd over https",
        ["etcd-cert-file"] = "client certificate (PEM) for etcd mutual TLS",
        ["etcd-key-file"] = "client key (PEM) for etcd mutual TLS",
        ["etcd-username"] = "etcd user name",
        ["etcd-password"] = "etcd password",
        ["kubeconfig"] = "kubeconfig file [in-cluster config, else $KUBECONFIG or ~/.kube/config]",
        ["master"] = "Kubernetes API server URL (overrides the kubeconfig's server)",
        ["http-address"] = "listen address of /liveness, /readiness, /stats, /metrics, /log [127.0.0.1:9191]",
        ["http-cert-file"] = "PEM server certificate: serve HTTPS (with http-key-file)",
        ["http-key-file"] = "PEM private key of http-cert-file",
        ["http-user"] = "require HTTP basic authentication with this user on everything but /liveness and /readiness (with http-password-file)",
        ["http-password-file"] = "file whose first line is the HTTP password",
        ["etcd-password-file"] = "file whose first line is the etcd password (instead of etcd-password)",
        ["election"] = "campaign on /contiv-ksr/election before writing (true/false) [true]",
        ["election-ttl"] = "leader lease time-to-live in seconds [10]",
        ["identity"] = "this instance's name in the election [host-pid]",
        ["endpoints-source"] = "Endpoints or EndpointSlices [Endpoints]",
        ["writers"] = "concurrent etcd writers per reflector [2]",
        ["stats-interval-ms"] = "interval of the data-loss check and the status/gauges write, ms [1000]",
        ["watch-timeout"] = "server-side timeout of each watch request, seconds; the watch then resumes [300]",
        ["log-level"] = "Trace, Debug, Information, Warning, Error [Information]",
    };
}
