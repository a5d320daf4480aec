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
var socketGroup = new Option<string?>("--cni-socket-group") { Description = "group (name or gid) that may use the CNI socket too: mode 0660 instead of 0600 (default: root only)" };
var restPort = new Option<int>("--rest-port") { Description = "REST/metrics port", DefaultValueFactory = _ => 9999 };
var restAddress = new Option<string>("--rest-address") { Description = "REST listen address (node-local by default; 0.0.0.0 for the UI/netctl of other machines, then with --rest-user)", DefaultValueFactory = _ => "127.0.0.1" };
var restCert = new Option<string?>("--rest-cert-file") { Description = "PEM server certificate: REST over HTTPS (with --rest-key-file)" };
var restKey = new Option<string?>("--rest-key-file") { Description = "PEM private key of --rest-cert-file" };
var restUser = new Option<string?>("--rest-user") { Description = "require HTTP basic authentication with this user on every REST path but /liveness and /readiness (with --rest-password-file)" };
var restPassword = new Option<string?>("--rest-password-file") { Description = "file whose first line is the REST password" };
var allowCli = new Option<bool>("--rest-allow-cli-changes") { Description = "let POST /vpp/command run any data plane CLI command (default: only show …)" };
var etcdCa = new Option<string?>("--etcd-ca-file") { Description = "PEM CA of etcd's server certificate (https endpoints)" };
var etcdCert = new Option<string?>("--etcd-cert-file") { Description = "PEM client certificate for etcd mutual TLS (with --etcd-key-file)" };
var etcdKey = new Option<string?>("--etcd-key-file") { Description = "PEM private key of --etcd-cert-file" };
var etcdUser = new Option<string?>("--etcd-user") { Description = "etcd user (with --etcd-password-file)" };
var etcdPassword = new Option<string?>("--etcd-password-file") { Description = "file whose first line is the etcd password" };
var stateDir = new Option<string>("--state-dir") { Description = "directory of the agent's state files (local pods, etcd mirror)", DefaultValueFactory = _ => "/var/run/contiv" };
var logLevel = new Option<LogLevel>("--log-level") { Description = "minimum log level (Trace, Debug, Information, Warning, Error)", DefaultValueFactory = _ => LogLevel.Information };

var root = new RootCommand("contiv-agent: vSwitch agent of Contiv-VPP — event loop, desired-state scheduler, node ID, IPAM, pod and node wiring, CNI server, REST (:9999)")
{
    config, nodeName, etcd, netns, vppSocket, cniSocket, socketGroup, restPort, restAddress, stateDir, logLevel,
    restCert, restKey, restUser, restPassword, allowCli, etcdCa, etcdCert, etcdKey, etcdUser, etcdPassword,
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
    Contiv.Hosting.RestSecurityOptions restSecurity;
    Contiv.Store.EtcdBrokerOptions etcdSecurity;
    try
    {
        restSecurity = Contiv.Hosting.RestSecurityOptions.From(parse.GetValue(restCert), parse.GetValue(restKey), parse.GetValue(restUser), parse.GetValue(restPassword), "--rest");
        var etcdAuth = Contiv.Hosting.RestSecurityOptions.From(null, null, parse.GetValue(etcdUser), parse.GetValue(etcdPassword), "--etcd");
        etcdSecurity = new Contiv.Store.EtcdBrokerOptions
        {
            CaFile = parse.GetValue(etcdCa),
            CertFile = parse.GetValue(etcdCert),
            KeyFile = parse.GetValue(etcdKey),
            Username = etcdAuth.Username,
            Password = etcdAuth.Password,
        };
    }
    catch (ArgumentException e)
    {
        await Console.Error.WriteLineAsync($"contiv-agent: {e.Message}").ConfigureAwait(false);
        return 2;
    }

    var options = new AgentOptions
    {
        ConfigPath = configPath,
        NodeName = name,
        EtcdEndpoints = endpoints,
        Netns = parse.GetValue(netns),
        VppApiSocket = parse.GetValue(vppSocket)!,
        CniSocket = parse.GetValue(cniSocket)!,
        CniSocketGroup = parse.GetValue(socketGroup),
        RestPort = parse.GetValue(restPort),
        RestAddress = parse.GetValue(restAddress)!,
        StateDir = parse.GetValue(stateDir)!,
        LogLevel = parse.GetValue(logLevel),
        RestSecurity = restSecurity,
        AllowCliChanges = parse.GetValue(allowCli),
        EtcdSecurity = etcdSecurity,
    };
    return await AgentHost.RunAsync(options, ct);
});

return await root.Parse(args).InvokeAsync();
