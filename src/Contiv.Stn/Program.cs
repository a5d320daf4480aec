using System.CommandLine;
using Contiv.Stn;
using Microsoft.Extensions.Logging;

// contiv-stn: Steal The NIC daemon (SPEC §1.8, docs/stn.md).
var socket = new Option<string>("--socket", "-grpc") { Description = "unix socket of the STN gRPC service (mode 0600)", DefaultValueFactory = _ => "/var/run/contiv/stn.sock" };
var netns = new Option<string?>("--netns") { Description = "network namespace (name or path) whose NICs are stolen; default: contiv-stn's own" };
var stateFile = new Option<string>("--state-file") { Description = "where stolen interfaces are remembered across restarts", DefaultValueFactory = _ => "/var/run/contiv/stn-state.json" };
var healthDelay = new Option<double>("--health-check-delay") { Description = "seconds between the first steal and the start of the health check", DefaultValueFactory = _ => 30 };
var hostTap = new Option<string>("--host-tap") { Description = "host interface of the data plane that the health check watches", DefaultValueFactory = _ => "vpp1" };
var repair = new Option<double>("--repair-interval") { Description = "seconds between a revert and its consistency check (and between repairs)", DefaultValueFactory = _ => 3 };
var http = new Option<string>("--http", "-statuscheck") { Description = "host:port of /liveness, /readiness and /metrics (e.g. 127.0.0.1:9998); default: off", DefaultValueFactory = _ => string.Empty };
var logLevel = new Option<LogLevel>("--log-level") { Description = "minimum log level", DefaultValueFactory = _ => LogLevel.Information };

var root = new RootCommand("contiv-stn: takes a node's NIC away from the host for the data plane and gives it back, with its addresses and routes, when the data plane dies")
{
    socket, netns, stateFile, healthDelay, hostTap, repair, http, logLevel,
};
root.SetAction(async (parse, _) =>
{
    var delay = parse.GetValue(healthDelay);
    var interval = parse.GetValue(repair);
    if (delay < 0 || interval <= 0)
    {
        await Console.Error.WriteLineAsync($"contiv-stn: --health-check-delay {delay} must be ≥ 0 and --repair-interval {interval} > 0").ConfigureAwait(false);
        return 2;
    }

    return await StnHost.RunAsync(new StnOptions
    {
        Socket = parse.GetValue(socket)!,
        Netns = parse.GetValue(netns),
        StateFile = parse.GetValue(stateFile)!,
        HealthCheckDelay = TimeSpan.FromSeconds(delay),
        HostTapName = parse.GetValue(hostTap)!,
        RepairInterval = TimeSpan.FromSeconds(interval),
        HttpAddress = parse.GetValue(http)!,
        LogLevel = parse.GetValue(logLevel),
    }).ConfigureAwait(false);
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
