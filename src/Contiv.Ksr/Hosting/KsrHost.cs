using System.Text.Json;
using Contiv.Hosting;
using Contiv.Ksr.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Contiv.Ksr.Hosting;

/// <summary>The contiv-ksr process: the KSR plus its HTTP server, stopped gracefully on SIGTERM/SIGINT.</summary>
internal static partial class KsrHost
{
    /// <summary>Runs until SIGTERM/SIGINT or <paramref name="ct"/>.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="ct">Stops the process.</param>
    /// <returns>Exit code.</returns>
    public static async Task<int> RunAsync(KsrSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = SlimHost.CreateBuilder();
        var levels = new LogLevels(Enum.Parse<LogLevel>(settings.LogLevel, ignoreCase: true));
        // Everything reaches the filter, which applies the levels that /log/{logger}/{level} can change at run time.
        builder.Logging.AddDaemonConsole(LogLevel.Trace);
        builder.Logging.AddFilter((_, category, level) => levels.IsEnabled(category, level));
        var security = settings.HttpSecurity();
        var colon = settings.HttpAddress.LastIndexOf(':');
        var host = settings.HttpAddress[..colon].Trim('[', ']');
        var port = int.Parse(settings.HttpAddress[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (host is "" or "*" or "0.0.0.0")
            {
                k.ListenRest(System.Net.IPAddress.Any, port, security);
            }
            else if (host == "localhost")
            {
                k.ListenRest(System.Net.IPAddress.Loopback, port, security);
            }
            else
            {
                k.ListenRest(System.Net.IPAddress.Parse(host), port, security);
            }
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        await using var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var log = loggers.CreateLogger("contiv-ksr");
        KsrRunner runner;
        try
        {
            var kube = KsrRunner.CreateKubernetesClient(settings);
            var store = KsrRunner.CreateStore(settings, loggers);
            runner = new KsrRunner(settings, kube, store, loggers, ownsStore: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or k8s.Exceptions.KubeConfigException)
        {
            LogBadSetup(log, e.Message);
            return 2;
        }

        await using (runner.ConfigureAwait(false))
        {
            var metrics = new KsrMetrics(runner);
            // Before any endpoint: PUT /log/{logger}/{level} and the stats need credentials when configured.
            app.UseRestAuthentication(security);
            app.MapProbes(() => new ProbeReport(runner.Running, Status(runner)), () => new ProbeReport(runner.IsReady, Status(runner)));
            app.MapGet("/log/list", () => Results.Json(levels.List()));
            app.MapPut("/log/{logger}/{level}", (string logger, string level) =>
            {
                try
                {
                    levels.Set(logger, level);
                    return Results.Json(new Dictionary<string, string> { [logger] = level });
                }
                catch (ArgumentException e)
                {
                    return Results.Json(new Dictionary<string, string> { ["error"] = e.Message }, statusCode: 400);
                }
            });
            app.MapDaemonMetrics(metrics: metrics.Default, stats: metrics.Stats);

            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
            try
            {
                await app.StartAsync(ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                LogCannotListen(log, settings.HttpAddress, e.Message);
                return 1;
            }

            try
            {
                await runner.RunAsync(stop.Token).ConfigureAwait(false);
            }
            finally
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        return 0;
    }

    /// <summary>The status document served by the probes.</summary>
    /// <param name="runner">The KSR.</param>
    public static Dictionary<string, object> Status(KsrRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return new Dictionary<string, object>
        {
            ["running"] = runner.Running,
            ["ready"] = runner.IsReady,
            ["leader"] = runner.IsLeader,
            ["writable"] = runner.Controller.Writable,
            ["etcd"] = runner.Store.ConnectionState.ToString(),
            ["dataLossEvents"] = runner.Controller.DataLossEvents,
            ["reflectors"] = runner.Reflectors.ToDictionary(
                r => r.Name,
                r => (object)new Dictionary<string, object>
                {
                    ["informerSynced"] = r.InformerSynced,
                    ["synced"] = r.IsSynced,
                    ["objects"] = r.DesiredCount,
                    ["queue"] = r.QueueLength,
                    ["adds"] = r.Statistics.Adds,
                    ["updates"] = r.Statistics.Updates,
                    ["deletes"] = r.Statistics.Deletes,
                    ["resyncs"] = r.Statistics.Resyncs,
                }),
        };
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "contiv-ksr cannot listen on http-address {Address}: {Reason}")]
    private static partial void LogCannotListen(ILogger log, string address, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "contiv-ksr cannot start: {Reason}")]
    private static partial void LogBadSetup(ILogger log, string reason);
}
