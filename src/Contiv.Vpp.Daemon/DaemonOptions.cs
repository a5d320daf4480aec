using System.Globalization;
using System.Text.Json;
using Contiv.Vpp;
using Contiv.Vpp.Interfaces;
using Microsoft.Extensions.Logging;

namespace Contiv.Vpp.Daemon;

/// <summary>
/// Settings of contiv-vpp: defaults, then the JSON config file (<c>-c</c>), then environment
/// variables (<c>CONTIV_VPP_&lt;KEY&gt;</c>), then command-line options — later wins.
/// </summary>
public sealed class DaemonOptions
{
    /// <summary>Worker threads.</summary>
    public int Workers { get; set; } = Math.Min(2, Environment.ProcessorCount);

    /// <summary>
    /// With several workers: multi-queue TAPs and AF_PACKET fanout (one queue per worker, flows spread by
    /// the kernel's flow hash); false (default): one queue per interface, interfaces given to workers round robin.
    /// </summary>
    public bool MultiQueue { get; set; }

    /// <summary>Packet buffers.</summary>
    public int Buffers { get; set; } = 16384;

    /// <summary>Frames of each AF_PACKET interface's receive ring (68 KB each, resident while the interface exists).</summary>
    public int AfPacketRxFrames { get; set; } = DataplaneOptions.DefaultAfPacketRxFrames;

    /// <summary>Debug CLI unix socket.</summary>
    public string CliSocket { get; set; } = "/run/vpp/cli.sock";

    /// <summary>gRPC API unix socket.</summary>
    public string ApiSocket { get; set; } = "/run/vpp/api.sock";

    /// <summary>Group (name or gid) that may use the API and CLI sockets too (mode 0660); null = owner only (0600).</summary>
    public string? SocketGroup { get; set; }

    /// <summary>HTTP endpoint for /metrics, /liveness, /readiness (host:port), empty = off.</summary>
    public string HttpAddress { get; set; } = string.Empty;

    /// <summary>The node's host network namespace (name or path) where TAPs and AF_PACKET sockets are opened.</summary>
    public string? Netns { get; set; }

    /// <summary>Busy-poll instead of epoll sleep.</summary>
    public bool PollMode { get; set; }

    /// <summary>Microseconds a worker keeps polling after traffic before sleeping in epoll.</summary>
    public int SpinMicroseconds { get; set; } = DataplaneOptions.DefaultSpinMicroseconds;

    /// <summary>Yield the CPU after every empty poll while spinning.</summary>
    public bool SpinYield { get; set; }

    /// <summary>Open TAPs with IFF_NAPI.</summary>
    public bool TapNapi { get; set; }

    /// <summary>txqueuelen of every TAP's Linux side; 0 = the kernel's default (500).</summary>
    public int TapTxQueueLength { get; set; }

    /// <summary>Batch a vector's TAP writes into one io_uring submission (default); false = one write() per packet.</summary>
    public bool BatchTx { get; set; } = true;

    /// <summary>Read several TAP frames per io_uring submission (default); false = one read() per frame.</summary>
    public bool BatchRx { get; set; } = true;

    /// <summary>Log level (Trace, Debug, Information, Warning, Error).</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Commands run through the CLI at start (like VPP's startup-config / exec).</summary>
    public List<string> StartupCommands { get; } = [];

    /// <summary>Usage text.</summary>
    public const string Usage = """
        contiv-vpp — the Contiv data plane: a vector packet processor (TAP, AF_PACKET, IPv4 VRFs, ARP, ICMP).

        Usage: contiv-vpp [options]
          -c, --config <file>       JSON config file: {"workers":1,"buffers":16384,"cliSocket":"/run/vpp/cli.sock",
                                    "multiQueue":true (or VPP's style: "cpu":{"workers":2,"multiQueue":true}),
                                    "apiSocket":"/run/vpp/api.sock","httpAddress":"127.0.0.1:9192","netns":"node1",
                                    "pollMode":false,"logLevel":"Information","startupCommands":["create loopback interface"]}
          --cli-socket <path>       debug CLI unix socket (contiv-vppctl -s <path>)      [/run/vpp/cli.sock]
          --api-socket <path>       gRPC control API unix socket                          [/run/vpp/api.sock]
          --socket-group <group>    group that may use both sockets too (mode 0660)       [owner only, 0600]
          --http <host:port>        serve /metrics, /liveness, /readiness over HTTP       [off]
          --netns <name|path>       the node's host network namespace for TAPs/AF_PACKET  [own namespace]
          --workers <n>             worker threads                                        [2, or 1 on one CPU]
          --multi-queue             with n > 1: a queue per worker on every interface     [off]
                                    (multi-queue TAPs, AF_PACKET fanout; flows spread by the kernel's flow
                                    hash); off: one rx queue per interface, interfaces round robin. Unsafe
                                    with NAT44 client-port reuse across services (docs/dataplane.md)
          --no-multi-queue          turn --multi-queue (or the config file's multiQueue) off again
          --buffers <n>             packet buffers                                        [16384]
          --af-packet-rx-frames <n> frames (68 KB each) of an AF_PACKET interface's rx ring [64]
                                    (resident even when idle; more rides out longer stalls at Gbit/s rates)
          --poll                    busy-poll devices instead of sleeping in epoll
          --spin-us <n>             keep polling n µs after traffic before sleeping       [5]
          --no-batch-tx             one write() per packet instead of io_uring batches
          --spin-yield              sched_yield after every empty poll while spinning
          --tap-napi                open TAPs with IFF_NAPI (received via NAPI/GRO)
          --tap-txqueuelen <n>      frames a TAP queues for the worker before the kernel drops [0 = kernel's 500]
          --no-batch-rx             one read() per TAP frame instead of io_uring batches (--batch-rx: the default)
          --log-level <level>       Trace|Debug|Information|Warning|Error                  [Information]
          --exec <command>          run a CLI command at start (repeatable)
          -h, --help                this text

        Environment: CONTIV_VPP_WORKERS, CONTIV_VPP_MULTI_QUEUE (true|false), CONTIV_VPP_BUFFERS, CONTIV_VPP_AF_PACKET_RX_FRAMES, CONTIV_VPP_CLI_SOCKET, CONTIV_VPP_API_SOCKET,
        CONTIV_VPP_HTTP, CONTIV_VPP_NETNS, CONTIV_VPP_LOG_LEVEL override the config file.
        SIGTERM/SIGINT shut down gracefully (interfaces closed, sockets removed).
        """;

    /// <summary>Parses everything; throws <see cref="ArgumentException"/> naming the bad option and value.</summary>
    public static DaemonOptions Parse(string[] args, out bool help)
    {
        ArgumentNullException.ThrowIfNull(args);
        help = false;
        var o = new DaemonOptions();
        string? config = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-c" or "--config")
            {
                config = Value(args, ref i);
            }
        }

        if (config is not null)
        {
            o.LoadFile(config);
        }

        o.LoadEnvironment();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            switch (a)
            {
                case "-h" or "--help":
                    help = true;
                    break;
                case "-c" or "--config":
                    i++;
                    break;
                case "--cli-socket":
                    o.CliSocket = Value(args, ref i);
                    break;
                case "--api-socket":
                    o.ApiSocket = Value(args, ref i);
                    break;
                case "--socket-group":
                    o.SocketGroup = Value(args, ref i);
                    break;
                case "--http":
                    o.HttpAddress = Value(args, ref i);
                    break;
                case "--netns":
                    o.Netns = Value(args, ref i);
                    break;
                case "--workers":
                    o.Workers = Int(a, Value(args, ref i), 1, 64);
                    break;
                case "--no-multi-queue":
                    o.MultiQueue = false;
                    break;
                case "--multi-queue":
                    o.MultiQueue = true;
                    break;
                case "--buffers":
                    o.Buffers = Int(a, Value(args, ref i), 64, 1 << 20);
                    break;
                case "--af-packet-rx-frames":
                    o.AfPacketRxFrames = Int(a, Value(args, ref i), AfPacketDevice.MinRxFrames, AfPacketDevice.MaxRxFrames);
                    break;
                case "--spin-us":
                    o.SpinMicroseconds = Int(a, Value(args, ref i), 0, 1_000_000);
                    break;
                case "--poll":
                    o.PollMode = true;
                    break;
                case "--no-batch-tx":
                    o.BatchTx = false;
                    break;
                case "--spin-yield":
                    o.SpinYield = true;
                    break;
                case "--tap-napi":
                    o.TapNapi = true;
                    break;
                case "--tap-txqueuelen":
                    o.TapTxQueueLength = Int(a, Value(args, ref i), 0, 1 << 20);
                    break;
                case "--batch-rx":
                    o.BatchRx = true;
                    break;
                case "--no-batch-rx":
                    o.BatchRx = false;
                    break;
                case "--log-level":
                    o.LogLevel = Level(Value(args, ref i));
                    break;
                case "--exec":
                    o.StartupCommands.Add(Value(args, ref i));
                    break;
                default:
                    throw new ArgumentException($"unknown option '{a}' (see --help)");
            }
        }

        return o;
    }

    private void LoadFile(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"config file {path}: {e.Message}", e);
        }

        using (doc)
        {
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var v = p.Value;
                string S() => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                switch (p.Name.ToLowerInvariant())
                {
                    case "workers":
                        Workers = Int($"{path}: workers", S(), 1, 64);
                        break;
                    case "multiqueue":
                        MultiQueue = Bool($"{path}: multiQueue", v);
                        break;
                    case "cpu":
                        LoadCpu(path, v);
                        break;
                    case "buffers":
                        Buffers = Int($"{path}: buffers", S(), 64, 1 << 20);
                        break;
                    case "afpacketrxframes":
                        AfPacketRxFrames = Int($"{path}: afPacketRxFrames", S(), AfPacketDevice.MinRxFrames, AfPacketDevice.MaxRxFrames);
                        break;
                    case "clisocket":
                        CliSocket = S();
                        break;
                    case "apisocket":
                        ApiSocket = S();
                        break;
                    case "socketgroup":
                        SocketGroup = S();
                        break;
                    case "httpaddress":
                        HttpAddress = S();
                        break;
                    case "netns":
                        Netns = S();
                        break;
                    case "pollmode":
                        PollMode = v.ValueKind == JsonValueKind.True;
                        break;
                    case "loglevel":
                        LogLevel = Level(S());
                        break;
                    case "startupcommands":
                        foreach (var c in v.EnumerateArray())
                        {
                            StartupCommands.Add(c.GetString() ?? string.Empty);
                        }

                        break;
                    default:
                        throw new ArgumentException($"config file {path}: unknown key '{p.Name}'");
                }
            }
        }
    }

    /// <summary>VPP's <c>cpu { workers N }</c> as a JSON object: <c>"cpu": {"workers": 2, "multiQueue": true}</c>.</summary>
    private void LoadCpu(string path, JsonElement cpu)
    {
        if (cpu.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"config file {path}: cpu: expected an object like {{\"workers\": 2}}");
        }

        foreach (var p in cpu.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name.ToLowerInvariant())
            {
                case "workers":
                    Workers = Int($"{path}: cpu.workers", v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText(), 1, 64);
                    break;
                case "multiqueue":
                    MultiQueue = Bool($"{path}: cpu.multiQueue", v);
                    break;
                default:
                    throw new ArgumentException($"config file {path}: unknown key 'cpu.{p.Name}'");
            }
        }
    }

    private static bool Bool(string what, JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ArgumentException($"{what}: '{v.GetRawText()}' is not true or false"),
    };

    private void LoadEnvironment()
    {
        string? E(string k) => Environment.GetEnvironmentVariable("CONTIV_VPP_" + k) is { Length: > 0 } v ? v : null;
        if (E("WORKERS") is { } w)
        {
            Workers = Int("CONTIV_VPP_WORKERS", w, 1, 64);
        }

        if (E("MULTI_QUEUE") is { } mq)
        {
            MultiQueue = mq.ToLowerInvariant() switch
            {
                "1" or "true" or "yes" => true,
                "0" or "false" or "no" => false,
                _ => throw new ArgumentException($"CONTIV_VPP_MULTI_QUEUE: '{mq}' is not true or false"),
            };
        }

        if (E("BUFFERS") is { } b)
        {
            Buffers = Int("CONTIV_VPP_BUFFERS", b, 64, 1 << 20);
        }

        if (E("AF_PACKET_RX_FRAMES") is { } f)
        {
            AfPacketRxFrames = Int("CONTIV_VPP_AF_PACKET_RX_FRAMES", f, AfPacketDevice.MinRxFrames, AfPacketDevice.MaxRxFrames);
        }

        CliSocket = E("CLI_SOCKET") ?? CliSocket;
        ApiSocket = E("API_SOCKET") ?? ApiSocket;
        SocketGroup = E("SOCKET_GROUP") ?? SocketGroup;
        HttpAddress = E("HTTP") ?? HttpAddress;
        Netns = E("NETNS") ?? Netns;
        if (E("LOG_LEVEL") is { } l)
        {
            LogLevel = Level(l);
        }
    }

    private static string Value(string[] args, ref int i)
        => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"option '{args[i]}' needs a value");

    private static int Int(string what, string s, int min, int max)
        => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v : throw new ArgumentException($"{what}: '{s}' is not a number between {min} and {max}");

    private static LogLevel Level(string s)
        => Enum.TryParse<LogLevel>(s, true, out var l) ? l : throw new ArgumentException($"log level '{s}' is not one of Trace, Debug, Information, Warning, Error");
}
