using System.Net;
using Contiv.Agent.Config;
using Contiv.Agent.Controller;
using Contiv.Agent.Dataplane;
using Contiv.Agent.Ipam;
using Contiv.Agent.IpNet;
using Contiv.Agent.Kube;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.NodeSync;
using Contiv.Agent.PodManager;
using Contiv.Agent.Policy;
using Contiv.Agent.Rest;
using Contiv.Agent.Scheduler;
using Contiv.Agent.Services;
using Contiv.Hosting;
using Contiv.Store;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Prometheus;

namespace Contiv.Agent;

/// <summary>Wires the agent together and runs it until cancelled (SIGTERM/SIGINT).</summary>
internal static class AgentHost
{
    /// <summary>Runs the agent; returns the process exit code.</summary>
    public static async Task<int> RunAsync(AgentOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        NodeSettings settings;
        ContivConfig config;
        try
        {
            config = ConfigLoader.Load(options.ConfigPath);
            settings = NodeSettings.For(config, options.NodeName);
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"contiv-agent: configuration error: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        var endpoints = options.EtcdEndpoints.Select(e => e.Contains("://", StringComparison.Ordinal) ? e : "http://" + e).ToList();
        var etcdOptions = options.EtcdSecurity with { Endpoints = endpoints };
        IPAddress restAddress;
        try
        {
            etcdOptions.Validate();
            restAddress = IPAddress.TryParse(options.RestAddress, out var a) ? a : throw new ArgumentException($"--rest-address '{options.RestAddress}' is not an IP address");
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"contiv-agent: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        // NodeConfig CRD: read before anything uses the settings; a later change restarts the agent.
        Model.Crd.NodeConfig? crdNodeConfig = null;
        if (!config.CrdNodeConfigurationDisabled)
        {
            await using var crdStore = new EtcdBroker(etcdOptions);
            (crdNodeConfig, var answered) = await CrdNodeConfig.ReadAsync(crdStore, options.NodeName, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(answered
                ? $"contiv-agent: NodeConfig CRD for {options.NodeName}: {(crdNodeConfig is null ? "none, using contiv.conf" : "overrides contiv.conf's nodeConfig entry")}"
                : $"contiv-agent: etcd did not answer for the NodeConfig CRD of {options.NodeName}; using contiv.conf (a CRD seen later restarts the agent)").ConfigureAwait(false);
            try
            {
                settings = NodeSettings.For(CrdNodeConfig.Apply(config, options.NodeName, crdNodeConfig), options.NodeName);
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync($"contiv-agent: NodeConfig CRD of {options.NodeName}: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        }

        var builder = SlimHost.CreateBuilder();
        builder.Logging.AddDaemonConsole(options.LogLevel);
        // The CNI socket is bound in a private directory and published with mode 0600 (0660 with
        // --cni-socket-group) once listening: no process but root (or that group) can ask the agent to wire a pod
        // (docs/security.md).
        PrivateUnixSocket cniSocket;
        try
        {
            cniSocket = PrivateUnixSocket.Prepare(options.CniSocket, options.CniSocketGroup);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"contiv-agent: --cni-socket-group: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        // Request handlers run on the socket thread that read the request instead of hopping to the thread pool:
        // they do not block (the agent awaits its event loop; the data plane applies a batch in a few ms).
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(cniSocket.StagingPath, l => l.Protocols = HttpProtocols.Http2);
            k.ListenRest(restAddress, options.RestPort, options.RestSecurity);
        });
        // A CNI request carries the runtime's stdin (contiv-cni caps it at 1 MiB) and an IPAM result:
        // 2 MiB is ample; the default 4 MiB per message would let a client make the agent buffer more.
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = CniLimits.MaxRequestBytes);

        using var linux = new LinuxNamespaces(options.Netns);
        using var dataplane = new DataplaneConnection(options.VppApiSocket, settings.Config.Govpp.ReplyTimeout);
        var ctx = new AgentContext(settings);
        if (settings.StnMode)
        {
            // STN: the NIC contiv-init had contiv-stn steal is the main NIC, with the host's addresses (docs/stn.md).
            try
            {
                ctx.Stn = await Stn.StnStartup.LoadAsync(settings, linux, ct).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"contiv-agent: STN mode: main NIC {ctx.Stn.Name}, node IP {ctx.Stn.NodeIp}, {ctx.Stn.Routes.Count} IPv4 routes of the host").ConfigureAwait(false);
                if (Stn.StolenLinkIsolation.Apply(options.Netns, ctx.Stn.Name) is { } problem)
                {
                    await Console.Error.WriteLineAsync($"contiv-agent: STN: {problem}").ConfigureAwait(false);
                }
            }
            catch (Stn.StnUnavailableException e)
            {
                await Console.Error.WriteLineAsync($"contiv-agent: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        }
        var registry = Metrics.NewCustomRegistry();
        var holder = new LoopHolder();
        builder.Services.AddSingleton(_ => holder.Loop ?? throw new InvalidOperationException("event loop not started"));
        builder.Services.AddSingleton(ctx);
        builder.Services.AddSingleton(dataplane);
        builder.Services.AddSingleton(new CniInputRules(options.Netns));

        // Build the app first so that loggers are available to every component.
        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        await using var broker = new EtcdBroker(etcdOptions, loggers.CreateLogger("etcd"));

        var scheduler = new KvScheduler(loggers.CreateLogger("scheduler"));
        AgentDescriptors.RegisterAll(scheduler, dataplane, linux);

        using var loop = new EventLoop(scheduler, settings.Config.Controller, loggers.CreateLogger("controller"));
        Directory.CreateDirectory(options.StateDir);
        var podStore = new PodStateStore(Path.Combine(options.StateDir, $"contiv-agent-{options.NodeName}.pods.json"), loggers.CreateLogger("podmanager"));
        var nodeSync = new NodeSyncHandler(ctx, broker, loop.Push, loggers.CreateLogger("nodesync"));
        nodeSync.UseKubeState(() => loop.KubeState);
        var ipam = new IpamHandler(ctx, loggers.CreateLogger("ipam")) { KubeState = () => loop.KubeState };
        loop.AddHandler(new ContivConfHandler(settings));
        loop.AddHandler(nodeSync);
        loop.AddHandler(new PodManagerHandler(ctx, podStore, loggers.CreateLogger("podmanager"), dataplane.DumpAll));
        loop.AddHandler(ipam);
        var ipnet = new IpNetHandler(ctx, linux, podStore, loggers.CreateLogger("ipnet"));
        loop.AddHandler(ipnet);
        loop.AddHandler(new ServiceHandler(ctx, ipnet.HostIps, loggers.CreateLogger("service")));
        var policy = new PolicyHandler(ctx, loggers.CreateLogger("policy"));
        loop.AddHandler(policy);

        var watcher = new KsrWatcher(broker, loop, loggers.CreateLogger("dbwatcher"),
            Path.Combine(options.StateDir, $"contiv-agent-{options.NodeName}.kube.json"), TimeSpan.FromSeconds(5));
        var dpWatcher = new DataplaneWatcher(dataplane, loop, loggers.CreateLogger("dataplane"), TimeSpan.FromSeconds(1));
        using var natCleanup = new NatSessionCleanup(new DataplaneNat44Sessions(dataplane), settings.Config.Service, registry, loggers.CreateLogger("service"));
        var nodeConfigChanged = false;
        await using (watcher.ConfigureAwait(false))
        await using (dpWatcher.ConfigureAwait(false))
        {
            _ = new InterfaceMetrics(ctx, dataplane, registry);
            app.UseRestAuthentication(options.RestSecurity, options.RestPort);
            app.MapGrpcService<RemoteCniService>();
            app.MapGrpcService<PodCheckService>();
            RestApi.Map(app, ctx, loop, scheduler, dataplane, () => watcher, options.AllowCliChanges);
            VppDumpEndpoints.Map(app, dataplane);
            PolicyDump.Map(app, policy);
            app.MapDaemonMetrics(metrics: registry, stats: registry);
            holder.Loop = loop;

            var log = loggers.CreateLogger("agent");
            loop.Start();
            await app.StartAsync(ct).ConfigureAwait(false);
            cniSocket.Publish();
            if (options.RestSecurity.RequiresAuthentication is false && !IPAddress.IsLoopback(restAddress))
            {
                log.LogWarning("REST on {Address}:{Port} is reachable from other hosts (and pods) without authentication: set --rest-user (docs/security.md)", options.RestAddress, options.RestPort);
            }

            if (!await dpWatcher.WaitUpAsync(settings.Config.Controller.StartupResyncDeadline, ct).ConfigureAwait(false))
            {
                log.LogError("data plane at {Socket} did not answer within {Deadline}; starting anyway (liveness will fail)", options.VppApiSocket, settings.Config.Controller.StartupResyncDeadline);
            }

            dpWatcher.Start();
            watcher.Start();
            natCleanup.Start();
            if (!config.CrdNodeConfigurationDisabled)
            {
                var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await CrdNodeConfig.WatchAsync(broker, options.NodeName, crdNodeConfig, lifetime.ApplicationStopping).ConfigureAwait(false);
                        log.LogWarning("NodeConfig CRD of {Node} changed: restarting the agent to apply it", options.NodeName);
                        nodeConfigChanged = true;
                        lifetime.StopApplication();
                    }
                    catch (OperationCanceledException)
                    {
                        // shutting down
                    }
                }, CancellationToken.None);
            }

            log.LogInformation("contiv-agent for node {Node}: etcd {Etcd}, data plane {Vpp}, CNI {Cni}, REST {Address}:{Port}, host netns {Netns}",
                options.NodeName, string.Join(",", endpoints), options.VppApiSocket, options.CniSocket, options.RestAddress, options.RestPort, options.Netns ?? "(own)");
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            log.LogInformation("shutting down");
            loop.Stop(TimeSpan.FromSeconds(5));
        }

        await app.DisposeAsync().ConfigureAwait(false);
        TryDelete(options.CniSocket);
        return loop.State == LoopState.Fatal ? 1 : nodeConfigChanged ? ExitNodeConfigChanged : 0;
    }

    /// <summary>Exit code after a NodeConfig CRD change: the supervisor (DaemonSet, lab) starts the agent again with it.</summary>
    public const int ExitNodeConfigChanged = 3;

    private sealed class LoopHolder
    {
        public EventLoop? Loop { get; set; }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
