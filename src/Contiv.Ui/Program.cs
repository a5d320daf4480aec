using System.CommandLine;
using Contiv.Ui.Config;
using Contiv.Ui.Hosting;
using Contiv.Ui.Proxy;

namespace Contiv.Ui;

/// <summary>contiv-ui: the web UI of the cluster network (SPEC §1.9).</summary>
internal static class Program
{
    /// <summary>Entry point.</summary>
    /// <returns>0 after a clean shutdown, 2 for bad settings.</returns>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand(
            "contiv-ui — the web UI of the Contiv-VPP cluster network: topology (nodes, vSwitches, pods, VXLAN tunnels), "
            + "IPAM, Kubernetes objects, Services per vSwitch and a vSwitch CLI console. Proxies /api/k8s/<path> to the "
            + "Kubernetes API, /api/contiv/<path>?vswitch=<node IP> to the node's agent REST and POST /api/netctl to contiv-crd; /api/events streams changes.");
        var config = new Option<string?>("--config") { Description = "YAML config (default $CONTIV_UI_CONF): port, basicAuth, serverCrt/serverKey, contiv* agent options, kubeconfig, vswitchEndpoints (docs/ui.md)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig for the Kubernetes API (overrides the config; default: in-cluster service account)" };
        var port = new Option<int?>("--port") { Description = "listening port (overrides the config; default 9500)" };
        var address = new Option<string?>("--address") { Description = "listening address (overrides the config; default 0.0.0.0)" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Trace, Debug, Information, Warning, Error", DefaultValueFactory = _ => LogLevel.Information };
        root.Options.Add(config);
        root.Options.Add(kubeconfig);
        root.Options.Add(port);
        root.Options.Add(address);
        root.Options.Add(logLevel);
        root.SetAction(async (parse, ct) =>
        {
            UiConfig settings;
            KubeUpstream kube;
            string? file;
            try
            {
                file = parse.GetValue(config) ?? Environment.GetEnvironmentVariable("CONTIV_UI_CONF");
                settings = file is { Length: > 0 } ? UiConfig.Load(file) : new UiConfig();
                settings = settings with
                {
                    Kubeconfig = parse.GetValue(kubeconfig) ?? settings.Kubeconfig,
                    Port = parse.GetValue(port) ?? settings.Port,
                    Address = parse.GetValue(address) ?? settings.Address,
                };
                kube = settings.Kubeconfig is { } k ? KubeUpstream.FromKubeconfig(k) : KubeUpstream.InCluster();
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"contiv-ui: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            using (kube)
            {
                await using var app = UiHost.Build(settings, kube, parse.GetValue(logLevel), file is { Length: > 0 } ? Path.GetFullPath(file) : null);
                app.Logger.LogInformation("contiv-ui on {Scheme}://{Address}:{Port}/ (Kubernetes API {Server})", settings.ServerCrt is null ? "http" : "https", settings.Address, settings.Port, kube.Server);
                await app.RunAsync(ct).ConfigureAwait(false);
            }

            return 0;
        });
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
