using System.CommandLine;
using Contiv.Agent;
using Microsoft.Extensions.Logging;

// contiv-agent: the control plane of one node (see docs/agent.md).
var config = new Option<string?>("--config") { Description = "contiv.conf (YAML); default: $CONTIV_CONFIG, else /etc/contiv/contiv.conf when it exists, else built-in defaults" };
var nodeName = new Option<string?>("--node-name") { Description = "this node's name (etcd label); default: $MICROSERVICE_LABEL, else the host name" };
var etcd = new Option<string?>("--etcd") { Description = "etcd endpoints, comma-separated (host:port or http(s)://host:port); default: $ETCD_ENDPOINTS, else 127.0.0.1:2379" };
var netns = new Option<string?>("--netns") { Description = "this node's host network namespace (name or path) where Linux configuration happens; etcd, REST and sockets stay in the agent's own namespace. Default: the agent's own" };
var vppSocket = new Option<string>("--vpp-api-socket") { Description = "contiv-vpp API socket", DefaultValueFactory = _ => "/run/vpp/api.sock" };
var cniSocket = new Option<string>("--cni-socket") { Description = "unix socket of the CNI gRPC server (RemoteCNI)", DefaultValueFactory = _ => "/var/run/contiv/cni.sock" };
var restPort = new Option<int>("--rest-port") { Description = "REST/metrics port", DefaultValueFactory = _ => 9999 };
var restAddress = new Option<string>("--rest-address") { Description = "REST listen address", DefaultValueFactory = _ => "0.0.0.0" };
var stateDir = new Option<string>("--state-dir") { Description = "directory of the agent's state files (local pods, etcd mirror)", DefaultValueFactory = _ => "/var/run/contiv" };
var logLevel = new Option<LogLevel>("--log-level") { Description = "minimum log level (Trace, Debug, Information, Warning, Error)", DefaultValueFactory = _ => LogLevel.Information };

var root = new RootCommand("contiv-agent: vSwitch agent of Contiv-VPP — event loop, desired-state scheduler, node ID, IPAM, pod and node wiring, CNI server, REST (:9999)")
{
    config, nodeName, etcd, netns, vppSocket, cniSocket, restPort, restAddress, stateDir, logLevel,
};

root.SetAction(async (parse, ct) =>
{
    var configPath = parse.GetValue(config) ?? Environment.GetEnvironmentVariable("CONTIV_CONFIG");
    if (configPath is null && File.Exists("/etc/contiv/contiv.conf"))
    {
        configPath = "/etc/contiv/contiv.conf";
    }

    var name = parse.GetValue(nodeName) ?? Environment.GetEnvironmentVariable("MICROSERVICE_LABEL") ?? Environment.MachineName;
    var endpoints = (parse.GetValue(etcd) ?? Environment.GetEnvironmentVariable("ETCD_ENDPOINTS") ?? "127.0.0.1:2379")
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var options = new AgentOptions
    {
        ConfigPath = configPath,
        NodeName = name,
        EtcdEndpoints = endpoints,
        Netns = parse.GetValue(netns),
        VppApiSocket = parse.GetValue(vppSocket)!,
        CniSocket = parse.GetValue(cniSocket)!,
        RestPort = parse.GetValue(restPort),
        RestAddress = parse.GetValue(restAddress)!,
        StateDir = parse.GetValue(stateDir)!,
        LogLevel = parse.GetValue(logLevel),
    };
    return await AgentHost.RunAsync(options, ct);
});

return await root.Parse(args).InvokeAsync();
