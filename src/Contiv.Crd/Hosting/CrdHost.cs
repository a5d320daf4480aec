using System.Text.Json;
using Contiv.Crd.Configuration;
using Contiv.Crd.Telemetry;
using Contiv.Hosting;
using Contiv.Ksr.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Contiv.Crd.Hosting;

/// <summary>
/// The contiv-crd process: <see cref="CrdRunner"/> plus its HTTP server (probes, metrics and
/// <c>POST /netctl</c>), stopped gracefully on SIGTERM/SIGINT.
/// </summary>
internal static partial class CrdHost
{
    /// <summary>Runs until SIGTERM/SIGINT or <paramref name="ct"/>.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="validation">Makes the topology validation over contiv-crd's etcd broker, or null (no reports).</param>
    /// <param name="netctl">Runs one contiv-netctl command line and returns its output and exit code, or null (no <c>POST /netctl</c>).</param>
    /// <param name="ct">Stops the process.</param>
    /// <returns>Exit code.</returns>
    public static async Task<int> RunAsync(CrdSettings settings, Func<Contiv.Store.IEtcdBroker, ITopologyValidation>? validation, Func<string[], CancellationToken, Task<(int ExitCode, string Output)>>? netctl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var common = settings.Common;
        var builder = SlimHost.CreateBuilder();
        builder.Logging.AddDaemonConsole(Enum.Parse<LogLevel>(common.LogLevel, ignoreCase: true));
        var security = common.HttpSecurity();
        var colon = common.HttpAddress.LastIndexOf(':');
        var host = common.HttpAddress[..colon].Trim('[', ']');
        var port = int.Parse(common.HttpAddress[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        builder.WebHost.ConfigureKestrel(k => k.ListenRest(
            host switch
            {
                "" or "*" or "0.0.0.0" => System.Net.IPAddress.Any,
                "localhost" => System.Net.IPAddress.Loopback,
                _ => System.Net.IPAddress.Parse(host),
            },
            port,
            security));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        await using var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var log = loggers.CreateLogger("contiv-crd");
        CrdRunner runner;
        try
        {
            var kube = KsrRunner.CreateKubernetesClient(common);
            var store = KsrRunner.CreateStore(common, loggers);
            runner = new CrdRunner(settings, kube, store, loggers, validation?.Invoke(store), ownsStore: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or k8s.Exceptions.KubeConfigException)
        {
            LogBadSetup(log, e.Message);
            return 2;
        }

        await using (runner.ConfigureAwait(false))
        {
            app.UseRestAuthentication(security);
            app.MapProbes(() => new ProbeReport(runner.Running, Status(runner)), () => new ProbeReport(runner.IsReady, Status(runner)));
            app.MapDaemonMetrics();
            if (netctl is not null && !settings.DisableNetctlRest)
            {
                app.MapPost("/netctl", async (HttpRequest request, CancellationToken rct) =>
                {
                    string[]? args;
                    try
                    {
                        args = await JsonSerializer.DeserializeAsync<string[]>(request.Body, cancellationToken: rct).ConfigureAwait(false);
                    }
                    catch (JsonException e)
                    {
                        return Results.Text("POST /netctl needs a JSON array of arguments: " + e.Message, statusCode: 400);
                    }

                    var (code, output) = await netctl(args ?? [], rct).ConfigureAwait(false);
                    return Results.Text(output, statusCode: code == 0 ? 200 : 500);
                });
            }

            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
            try
            {
                await app.StartAsync(ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                LogCannotListen(log, common.HttpAddress, e.Message);
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
    /// <param name="runner">contiv-crd.</param>
    public static Dictionary<string, object> Status(CrdRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        return new Dictionary<string, object>
        {
            ["running"] = runner.Running,
            ["ready"] = runner.IsReady,
            ["registered"] = runner.Registered,
            ["leader"] = runner.IsLeader,
            ["writable"] = runner.Controller.Writable,
            ["etcd"] = runner.Store.ConnectionState.ToString(),
            ["telemetryRounds"] = runner.Telemetry.Rounds,
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

    [LoggerMessage(Level = LogLevel.Critical, Message = "contiv-crd cannot listen on http-address {Address}: {Reason}")]
    private static partial void LogCannotListen(ILogger log, string address, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "contiv-crd cannot start: {Reason}")]
    private static partial void LogBadSetup(ILogger log, string reason);
}
