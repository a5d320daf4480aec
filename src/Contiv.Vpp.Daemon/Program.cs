using System.Net;
using Contiv.Hosting;
using Contiv.Vpp;
using Contiv.Vpp.Cli;
using Contiv.Vpp.Daemon;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Prometheus;

DaemonOptions options;
try
{
    options = DaemonOptions.Parse(args, out var help);
    if (help)
    {
        Console.WriteLine(DaemonOptions.Usage);
        return 0;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"contiv-vpp: {e.Message}");
    return 2;
}

var builder = SlimHost.CreateBuilder();
builder.Logging.AddDaemonConsole(options.LogLevel);
var loggerFactory = DaemonLogging.CreateFactory(options.LogLevel);
var log = loggerFactory.CreateLogger("contiv-vpp");

Dataplane dp;
try
{
    dp = new Dataplane(new DataplaneOptions
    {
        Workers = options.Workers,
        MultiQueue = options.MultiQueue,
        Buffers = options.Buffers,
        AfPacketRxFrames = options.AfPacketRxFrames,
        PollMode = options.PollMode,
        SpinMicroseconds = options.SpinMicroseconds,
        BatchTx = options.BatchTx,
        BatchRx = options.BatchRx,
        SpinYield = options.SpinYield,
        TapNapi = options.TapNapi,
        TapTxQueueLength = options.TapTxQueueLength,
        HostNamespace = options.Netns,
        LoggerFactory = loggerFactory,
    });
}
catch (Exception e) when (e is IOException or ArgumentException)
{
    Console.Error.WriteLine($"contiv-vpp: cannot create the data plane: {e.Message}");
    return 1;
}

var cli = new CliEngine(dp);
dp.Start();
foreach (var cmd in options.StartupCommands)
{
    var r = cli.Execute(cmd);
    if (r.Error)
    {
        Console.Error.WriteLine($"contiv-vpp: startup command failed: {r.Output.TrimEnd()}");
        dp.Dispose();
        return 1;
    }
}

// Bound in a private directory and published with mode 0600 once listening (docs/security.md).
PrivateUnixSocket apiSocket;
try
{
    apiSocket = PrivateUnixSocket.Prepare(options.ApiSocket, options.SocketGroup);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"contiv-vpp: --socket-group: {e.Message}");
    dp.Dispose();
    return 1;
}


builder.Services.AddSingleton(dp);
builder.Services.AddSingleton(cli);
builder.Services.AddGrpc(o =>
{
    o.MaxReceiveMessageSize = Contiv.Model.Vpp.DataplaneApiLimits.MaxMessageBytes;
    o.MaxSendMessageSize = Contiv.Model.Vpp.DataplaneApiLimits.MaxMessageBytes;
});
// Request handlers run on the socket thread that read the request instead of hopping to the thread pool:
// they do not block (the agent awaits its event loop; the data plane applies a batch in a few ms).
builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
builder.WebHost.ConfigureKestrel(k =>
{
    // Kestrel caps every request body at 30 000 000 bytes by default, below the gRPC message limit: a large
    // batch would fail as "Exception was thrown by handler" instead of being applied. One message plus its
    // 5-byte gRPC frame header.
    k.Limits.MaxRequestBodySize = Contiv.Model.Vpp.DataplaneApiLimits.MaxMessageBytes + 5;
    k.ListenUnixSocket(apiSocket.StagingPath, l => l.Protocols = HttpProtocols.Http2);
    if (options.HttpAddress.Length > 0)
    {
        if (!IPEndPoint.TryParse(options.HttpAddress, out var ep))
        {
            throw new ArgumentException($"--http '{options.HttpAddress}' is not host:port");
        }

        k.Listen(ep, l => l.Protocols = HttpProtocols.Http1);
    }
});

var app = builder.Build();
// A worker that failed (epoll_wait error, node bug) leaves its interfaces unserved: stop the whole daemon
// cleanly (sockets removed, TAPs closed) and exit 70 (EX_SOFTWARE) so the supervisor restarts it.
dp.WorkerFailed += (_, _) => app.Lifetime.StopApplication();
app.MapGrpcService<DataplaneApiService>();
InterfaceMetrics.Register(dp);
app.MapDaemonMetrics();
app.MapProbes(() => new ProbeReport(dp.Running, dp.Running ? "live" : null), () => new ProbeReport(dp.Running, dp.Running ? "ready" : null));

await using var cliServer = new CliSocketServer(cli, options.CliSocket, options.SocketGroup, log);
try
{
    await app.StartAsync();
    apiSocket.Publish();
}
catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine($"contiv-vpp: cannot start the API server: {e.Message}");
    dp.Dispose();
    return 1;
}

// Published after the API: an agent that finds it can probe the API at once (docs/dataplane.md, "Liveness socket").
await using var liveness = new LivenessSocketServer(Contiv.Model.Vpp.DataplaneLiveness.PathFor(options.ApiSocket), options.SocketGroup, ProcessInstance.Id, log);
log.LogInformation("contiv-vpp {Version} ready: cli {Cli}, api {Api}, {Workers} worker(s), {Buffers} buffers{Netns}", CliEngine.Version,
    options.CliSocket, options.ApiSocket, options.Workers, options.Buffers, options.Netns is null ? string.Empty : ", host netns " + options.Netns);
await app.WaitForShutdownAsync();
log.LogInformation("contiv-vpp shutting down");
await app.StopAsync();
dp.Dispose();
if (File.Exists(options.ApiSocket))
{
    File.Delete(options.ApiSocket);
}

if (dp.WorkerFailure is { } failure)
{
    Console.Error.WriteLine($"contiv-vpp: a data plane worker failed: {failure.Message}");
    return 70;
}

return 0;
