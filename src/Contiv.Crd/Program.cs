using System.CommandLine;
using Contiv.Crd.Configuration;
using Contiv.Crd.Hosting;
using Contiv.Crd.Telemetry;
using Contiv.Telemetry.Collection;
using Contiv.Ksr.Configuration;

namespace Contiv.Crd;

/// <summary>contiv-crd: the CRD controller (SPEC §1.4).</summary>
internal static class Program
{
    /// <summary>Entry point.</summary>
    /// <param name="args">Command line.</param>
    /// <returns>Exit code: 0 after a clean shutdown, 2 for bad settings, 1 for a failure.</returns>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand(
            "contiv-crd — CRD controller: registers the Contiv CustomResourceDefinitions (deploy/crds/) and mirrors "
            + "NodeConfig, CustomNetwork, ExternalInterface, ServiceFunctionChain and CustomConfiguration objects into etcd "
            + "(protobuf-JSON, mark-and-sweep resync, leader election on /contiv-crd/election), setting each object's status "
            + "to Success or Failure. Settings: defaults < --config YAML file < CONTIV_CRD_* environment variables "
            + "(and DISABLE_NETCTL_REST) < command-line options. It validates every node's vSwitch state "
            + "(Contiv.Telemetry) into the TelemetryReport default/default-telemetry 5 s after the topology records in etcd "
            + "(nodes, pods) stopped changing, and at the latest validate-interval minutes after the last round. "
            + "HTTP: /liveness, /readiness, /metrics, POST /netctl (a JSON array of contiv-netctl arguments).");
        var config = new Option<string?>("--config") { Description = "YAML config file (keys as the long options below)" };
        root.Options.Add(config);
        var options = new Dictionary<string, Option<string?>>(StringComparer.Ordinal);
        foreach (var key in CrdSettings.OwnKeys.Concat(KsrSettings.Properties.Keys.Where(k => k != "endpoints-source")).Order(StringComparer.Ordinal))
        {
            var option = new Option<string?>("--" + key, key == "etcd-endpoints" ? ["--etcd"] : []) { Description = Description(key) };
            options[key] = option;
            root.Options.Add(option);
        }

        root.SetAction(async (parse, ct) =>
        {
            var settings = new CrdSettings();
            try
            {
                if (parse.GetValue(config) is { } file)
                {
                    ApplyYamlFile(settings, file);
                }

                settings.ApplyEnvironment(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                    .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal));
                foreach (var (key, option) in options)
                {
                    if (parse.GetValue(option) is { } value)
                    {
                        settings.Set(key, value, "--" + key);
                    }
                }

                settings.Validate();
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync("contiv-crd: " + e.Message).ConfigureAwait(false);
                return 2;
            }

            var agents = new AgentAccess(settings);
            var state = settings.ValidateState switch
            {
                ValidateState.NB => ValidationState.NB,
                ValidateState.Internal => ValidationState.Internal,
                _ => ValidationState.SB,
            };
            var netctl = new NetctlProcess(agents, TimeSpan.FromSeconds(60));
            return await CrdHost.RunAsync(
                settings,
                store => new TelemetryValidation(store, agents.Options, state),
                settings.DisableNetctlRest ? null : netctl.RunAsync,
                ct).ConfigureAwait(false);
        });

        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    // KSR reads the shared keys from the file; contiv-crd's own keys are plain scalars.
    private static void ApplyYamlFile(CrdSettings settings, string path)
    {
        settings.Common.ApplyYamlFile(path, ignore: CrdSettings.OwnKeys);
        var yaml = Contiv.Yaml.YamlJson.Parse(File.ReadAllText(path)) as System.Text.Json.Nodes.JsonObject;
        foreach (var key in CrdSettings.OwnKeys)
        {
            if (yaml?[key] is { } value)
            {
                settings.Set(key, value.ToString(), $"{path}: {key}");
            }
        }
    }

    private static string Description(string key) => key switch
    {
        "validate-interval" => "longest time in minutes between topology validation rounds (a topology change in etcd runs one sooner), 0 = off (env CONTIV_CRD_VALIDATE_INTERVAL) [5]",
        "validate-state" => "state the validation reads from the agents: SB, NB or internal [SB]",
        "agent-endpoints" => "agents' REST URLs 'node1=http://127.0.0.1:9991,…' or '@FILE' re-read every round (env CONTIV_AGENT_ENDPOINTS) [{management IP}:{agent-port}]",
        "agent-port" => "agents' REST port [9999]",
        "agent-https" => "reach the agents over HTTPS (true/false) [false]",
        "agent-ca-file" => "PEM CA of the agents' server certificates",
        "agent-user" => "basic-auth user for the agents (with agent-password-file)",
        "agent-password-file" => "file whose first line is the agents' basic-auth password",
        "disable-netctl-rest" => "do not serve POST /netctl (env DISABLE_NETCTL_REST) [false]",
        "http-address" => "listen address of /liveness, /readiness, /metrics, /netctl [127.0.0.1:9090]",
        "election" => "campaign on /contiv-crd/election before writing (true/false) [true]",
        "etcd-endpoints" => "etcd client URLs (comma-separated) [http://127.0.0.1:2379]",
        "master" => "Kubernetes API server URL (overrides the kubeconfig's server)",
        "kubeconfig" => "kubeconfig file [in-cluster config, else $KUBECONFIG or ~/.kube/config]",
        _ => "as in contiv-ksr (docs/ksr.md)",
    };
}
