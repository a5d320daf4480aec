using System.CommandLine;
using System.Runtime.InteropServices;
using Contiv.Hosting;
using Contiv.Init;
using Contiv.Linux;
using Microsoft.Extensions.Logging;

// contiv-init: the vSwitch's supervisor (SPEC §1.6, docs/stn.md).
var here = AppContext.BaseDirectory;
var config = new Option<string?>("--config") { Description = "contiv.conf; default: $CONTIV_CONFIG, else /etc/contiv/contiv.conf when it exists, else defaults" };
var nodeName = new Option<string?>("--node-name") { Description = "this node's name (nodeConfig[].nodeName); default: $MICROSERVICE_LABEL, else the host name" };
var netns = new Option<string?>("--netns") { Description = "the node's host network namespace (for stealFirstNIC); default: contiv-init's own" };
var stnSocket = new Option<string?>("--stn-socket") { Description = "contiv-stn's socket; default: contiv.conf's stnSocketFile (/var/run/contiv/stn.sock)" };
var vpp = new Option<string>("--vpp") { Description = "data plane executable", DefaultValueFactory = _ => Path.Combine(here, "contiv-vpp") };
var vppArgs = new Option<string[]>("--vpp-arg") { Description = "an argument of the data plane (repeatable)", AllowMultipleArgumentsPerToken = false };
var agent = new Option<string>("--agent") { Description = "agent executable", DefaultValueFactory = _ => Path.Combine(here, "contiv-agent") };
var agentArgs = new Option<string[]>("--agent-arg") { Description = "an argument of the agent (repeatable)", AllowMultipleArgumentsPerToken = false };
var logLevel = new Option<LogLevel>("--log-level") { Description = "minimum log level", DefaultValueFactory = _ => LogLevel.Information };

var root = new RootCommand("contiv-init: steals the STN interface, runs contiv-vpp and contiv-agent, stops both when either dies and gives the NIC back")
{
    config, nodeName, netns, stnSocket, vpp, vppArgs, agent, agentArgs, logLevel,
};
root.SetAction(async (parse, _) =>
{
    using var loggers = DaemonLogging.CreateFactory(parse.GetValue(logLevel));
    var log = loggers.CreateLogger("contiv-init");
    var configPath = parse.GetValue(config) ?? Environment.GetEnvironmentVariable("CONTIV_CONFIG");
    if (configPath is null && File.Exists("/etc/contiv/contiv.conf"))
    {
        configPath = "/etc/contiv/contiv.conf";
    }

    var name = parse.GetValue(nodeName) ?? Environment.GetEnvironmentVariable("MICROSERVICE_LABEL") ?? Environment.MachineName;
    StnSettings settings;
    string? stnInterface;
    try
    {
        settings = StnSettings.Load(configPath);
        stnInterface = StnInterfaceChoice.Decide(settings, name, () => HostLinks(parse.GetValue(netns)));
    }
    catch (Exception e) when (e is InvalidDataException or NetlinkException)
    {
        await Console.Error.WriteLineAsync($"contiv-init: {e.Message}").ConfigureAwait(false);
        return 2;
    }

    var options = new InitOptions
    {
        ConfigPath = configPath,
        NodeName = name,
        Netns = parse.GetValue(netns),
        StnSocket = parse.GetValue(stnSocket) ?? settings.StnSocketFile,
        Vpp = parse.GetValue(vpp)!,
        VppArgs = parse.GetValue(vppArgs) ?? [],
        Agent = parse.GetValue(agent)!,
        AgentArgs = parse.GetValue(agentArgs) ?? [],
    };
    log.LogInformation("node {Node}: STN interface {Interface}", name, stnInterface ?? "(none: STN off)");

    using var stop = new CancellationTokenSource();
    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
    return await new VswitchSupervisor(options, log).RunAsync(stnInterface, stop.Token).ConfigureAwait(false);
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);

static IEnumerable<string> HostLinks(string? netns)
{
    using var ns = netns is null ? null : NetworkNamespace.Open(netns);
    using var nl = ns is null ? RtNetlink.Open() : RtNetlink.Open(ns);
    return nl.GetLinks().OrderBy(l => l.Index).Select(l => l.Name).ToList();
}
