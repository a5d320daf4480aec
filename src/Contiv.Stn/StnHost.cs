using System.Net;
using Contiv.Hosting;
using Contiv.Linux;
using Contiv.Stn.Linux;
using Contiv.Stn.State;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Contiv.Stn;

/// <summary>Wires contiv-stn together and runs it until SIGTERM/SIGINT, then gives every NIC back.</summary>
internal static class StnHost
{
    /// <summary>Runs the daemon; returns the exit code.</summary>
    public static async Task<int> RunAsync(StnOptions options)
    {
        using var loggers = DaemonLogging.CreateFactory(options.LogLevel);
        var log = loggers.CreateLogger("contiv-stn");
        NetworkNamespace? ns;
        RtNetlink netlink;
        try
        {
            ns = options.Netns is null ? null : NetworkNamespace.Open(options.Netns);
            netlink = ns is null ? RtNetlink.Open() : RtNetlink.Open(ns);
        }
        catch (NetlinkException e)
        {
            await Console.Error.WriteLineAsync($"contiv-stn: --netns {options.Netns}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using var nsLifetime = ns;
        using var netlinkLifetime = netlink;
        StolenInterfaces stolen;
        try
        {
            stolen = new StolenInterfaces(
                new NicTakeover(netlink, ns, log),
                new PciDriverBinding(log),
                new StolenInterfaceStore(options.StateFile),
                options.RepairInterval,
                log);
        }
        catch (InvalidDataException e)
        {
            await Console.Error.WriteLineAsync($"contiv-stn: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (stolen.ConfigureAwait(false))
        {
            var builder = SlimHost.CreateBuilder();
            builder.Logging.AddDaemonConsole(options.LogLevel);
            // Only root may ask for a NIC: the socket is 0600 from the moment it exists (docs/security.md).
            var socket = PrivateUnixSocket.Prepare(options.Socket);
            IPEndPoint? status = null;
            if (options.HttpAddress.Length > 0 && !IPEndPoint.TryParse(options.HttpAddress, out status))
            {
                await Console.Error.WriteLineAsync($"contiv-stn: --http '{options.HttpAddress}' is not host:port").ConfigureAwait(false);
                return 2;
            }

            builder.WebHost.ConfigureKestrel(k =>
            {
                k.ListenUnixSocket(socket.StagingPath, l => l.Protocols = HttpProtocols.Http2);
                if (status is not null)
                {
                    k.Listen(status, l => l.Protocols = HttpProtocols.Http1);
                }
            });
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(stolen);
            var app = builder.Build();
            app.MapGrpcService<StnService>();
            var report = () => new ProbeReport(true, new { stolenInterfaces = stolen.Names });
            app.MapProbes(report, report);
            app.MapDaemonMetrics();

            var health = new HostTapHealthCheck(stolen, ns, options.HostTapName, options.HealthCheckDelay, loggers.CreateLogger("health"));
            await using (health.ConfigureAwait(false))
            {
                try
                {
                    await app.StartAsync().ConfigureAwait(false);
                    socket.Publish();
                }
                catch (IOException e)
                {
                    await Console.Error.WriteLineAsync($"contiv-stn: cannot serve on {options.Socket}: {e.Message}").ConfigureAwait(false);
                    return 1;
                }

                if (stolen.Count > 0)
                {
                    // NICs stolen by an earlier run are watched as if just stolen.
                    health.Arm();
                }

                log.LogInformation("STN service on {Socket}, netns {Netns}, state {State}; health check {Delay} after a steal, on {Tap}",
                    options.Socket, ns?.DisplayName ?? "(own)", options.StateFile, options.HealthCheckDelay, options.HostTapName);
                await app.WaitForShutdownAsync().ConfigureAwait(false);
            }

            // SPEC §1.8: SIGINT/SIGTERM give every NIC back before the process ends.
            await stolen.RevertAllAsync("contiv-stn is stopping", CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        File.Delete(options.Socket);
        return 0;
    }
}
