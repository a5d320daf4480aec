using System.CommandLine;
using System.Globalization;
using Contiv.ApiServer;
using Contiv.Hosting;
using Microsoft.Extensions.Logging;

var listen = new Option<string>("--listen") { Description = "Address and port to serve HTTP on (port 0 picks a free one)", DefaultValueFactory = _ => "127.0.0.1:8080" };
var etcd = new Option<string?>("--etcd") { Description = "Comma-separated etcd endpoints for persistence (e.g. http://127.0.0.1:2379); in memory when absent" };
var etcdPrefix = new Option<string>("--etcd-prefix") { Description = "Key prefix of persisted objects in etcd", DefaultValueFactory = _ => "/contiv-lab-apiserver" };
var kubeconfigOut = new Option<string?>("--kubeconfig-out") { Description = "Write a kubeconfig pointing at this server to this path once it listens" };
var serviceCidr = new Option<string>("--service-cidr") { Description = "IPv4 CIDR for Service cluster IPs", DefaultValueFactory = _ => "10.96.0.0/12" };
var nodePorts = new Option<string>("--node-port-range") { Description = "Node port range LOW-HIGH", DefaultValueFactory = _ => "30000-32767" };
var history = new Option<int>("--event-history") { Description = "Watch events kept for resuming watches (older resourceVersions get 410 Expired)", DefaultValueFactory = _ => 100_000 };
var noGraceful = new Option<bool>("--no-graceful-pod-deletion") { Description = "Remove scheduled pods at once instead of marking them with a deletionTimestamp first" };
var etcdCa = new Option<string?>("--etcd-ca-file") { Description = "PEM CA of etcd's server certificate (https endpoints)" };
var etcdCert = new Option<string?>("--etcd-cert-file") { Description = "PEM client certificate for etcd mutual TLS (with --etcd-key-file)" };
var etcdKey = new Option<string?>("--etcd-key-file") { Description = "PEM private key of --etcd-cert-file" };
var etcdUser = new Option<string?>("--etcd-user") { Description = "etcd user (with --etcd-password-file)" };
var etcdPassword = new Option<string?>("--etcd-password-file") { Description = "file whose first line is the etcd password" };
var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level", DefaultValueFactory = _ => LogLevel.Information };

var root = new RootCommand("contiv-apiserver: the lab's Kubernetes-compatible API server (discovery, core/v1, networking, coordination, CRDs; list/watch; kubectl-compatible)")
{
    listen, etcd, etcdPrefix, kubeconfigOut, serviceCidr, nodePorts, history, noGraceful, logLevel,
    etcdCa, etcdCert, etcdKey, etcdUser, etcdPassword,
};

root.SetAction(async (parse, cancellationToken) =>
{
    var listenText = parse.GetValue(listen)!;
    var colon = listenText.LastIndexOf(':');
    if (colon < 0 || !int.TryParse(listenText[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
    {
        Console.Error.WriteLine($"contiv-apiserver: --listen \"{listenText}\" is not ADDRESS:PORT");
        return 2;
    }

    Contiv.Store.EtcdBrokerOptions etcdSecurity;
    try
    {
        var auth = RestSecurityOptions.From(null, null, parse.GetValue(etcdUser), parse.GetValue(etcdPassword), "--etcd");
        etcdSecurity = new Contiv.Store.EtcdBrokerOptions
        {
            CaFile = parse.GetValue(etcdCa),
            CertFile = parse.GetValue(etcdCert),
            KeyFile = parse.GetValue(etcdKey),
            Username = auth.Username,
            Password = auth.Password,
        };
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"contiv-apiserver: {e.Message}");
        return 2;
    }

    using var loggerFactory = DaemonLogging.CreateFactory(parse.GetValue(logLevel));
    var options = new LabApiServerOptions
    {
        ListenAddress = listenText[..colon].Trim('[', ']'),
        Port = port,
        EtcdEndpoints = parse.GetValue(etcd)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        EtcdPrefix = parse.GetValue(etcdPrefix)!,
        EtcdSecurity = etcdSecurity,
        KubeconfigPath = parse.GetValue(kubeconfigOut),
        ServiceCidr = parse.GetValue(serviceCidr)!,
        NodePortRange = parse.GetValue(nodePorts)!,
        EventHistorySize = parse.GetValue(history),
        GracefulPodDeletion = !parse.GetValue(noGraceful),
        LoggerFactory = loggerFactory,
    };

    LabApiServer server;
    try
    {
        server = await LabApiServer.StartAsync(options, cancellationToken);
    }
    catch (Exception e) when (e is ArgumentException or IOException or NotSupportedException or InvalidOperationException or Contiv.Store.StoreException)
    {
        Console.Error.WriteLine($"contiv-apiserver: {e.Message}");
        return 1;
    }

    await using (server)
    {
        Console.WriteLine($"contiv-apiserver listening on {server.Url}");
        var done = new TaskCompletionSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            done.TrySetResult();
        });
        using var reg = cancellationToken.Register(() => done.TrySetResult());
        await done.Task;
    }

    return 0;
});

return await root.Parse(args).InvokeAsync();
