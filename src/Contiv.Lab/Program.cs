using System.CommandLine;
using System.Globalization;
using Contiv.Lab.Check;
using Contiv.Lab.Commands;
using Contiv.Lab.Kubelet;
using Contiv.Lab.Lab;
using Contiv.Lab.Nodes;

namespace Contiv.Lab;

/// <summary>contiv-lab: a multi-node Contiv cluster on one machine (DESIGN.md "The lab").</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    /// <param name="args">Command line.</param>
    /// <returns>0 on success, 1 on failure, 2 on bad input.</returns>
    public static async Task<int> Main(string[] args)
    {
        // Internal: the supervisor of a lab daemon; parsed by hand so the daemon's own options after "--" pass untouched.
        if (args is ["supervise", ..])
        {
            return await Processes.Supervisor.RunCommandAsync(args[1..]).ConfigureAwait(false);
        }

        var instance = new Option<string?>("--instance")
        {
            Description = "Which lab on this machine (default \"default\": namespaces cl-*, state in /run/contiv-lab/default); others use cl<NAME>-*",
            Recursive = true,
        };

        var root = new RootCommand("""
            contiv-lab — a multi-node Contiv-VPP cluster on one machine, built from network namespaces.
            Control plane (etcd, the lab API server, contiv-ksr) on 127.0.0.1; one namespace per node (cl-nodeN) with
            contiv-vpp owning its data link, contiv-agent, contiv-cni and a kubelet stand-in that runs pods as processes.
            Typical use: contiv-lab up --nodes 2; eval "$(contiv-lab env)"; contiv-lab apply -f examples/demo.yaml --wait; contiv-lab check; contiv-lab down
            """);
        root.Options.Add(instance);

        // up
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes (1-250)", DefaultValueFactory = _ => 2 };
        var etcd = new Option<string?>("--etcd") { Description = "Use this etcd (client URL) instead of starting one; the lab then leaves its keys behind on down" };
        var network = new Option<string>("--network") { Description = "Pod network: contiv (contiv-vpp + contiv-agent + contiv-cni) or bridge (kernel baseline: CNI bridge + host-local, no vswitch)", DefaultValueFactory = _ => "contiv" };
        network.AcceptOnlyFromAmong("contiv", "bridge");
        var checkInterval = new Option<int>("--cni-check-interval") { Description = "Seconds between the kubelets' periodic CNI CHECK calls per pod; 0 (default) = no periodic CHECK (as a real kubelet with containerd)", DefaultValueFactory = _ => 0 };
        var keep = new Option<bool>("--keep-on-failure") { Description = "Leave a lab that failed to start in place for inspection (remove it with down)" };
        var secure = new Option<bool>("--secure") { Description = "etcd with mutual TLS for every client, agent and KSR REST over HTTPS with basic auth (certificates and password in the state dir's tls/)" };
        var stn = new Option<bool>("--stn") { Description = "Single-NIC nodes: eth0 carries management and data; contiv-stn steals it for the data plane, contiv-init runs contiv-vpp and contiv-agent (docs/stn.md)" };
        var noDns = new Option<bool>("--no-cluster-dns") { Description = "No cluster DNS (kube-system/kube-dns); pods keep the node's resolv.conf" };
        var runtime = new Option<string>("--runtime") { Description = "What runs the pods: process (the kubelet stand-in runs host processes and calls CNI) or containerd (one containerd per node driven over CRI; it calls CNI and runs the lab's busybox image)", DefaultValueFactory = _ => "process" };
        runtime.AcceptOnlyFromAmong("process", "containerd");
        var up = new Command("up", "Start a lab: underlay, control plane, nodes with their daemons and kubelets; registers the nodes; writes a kubeconfig") { nodes, etcd, network, checkInterval, keep, secure, stn, noDns, runtime };
        up.SetAction((p, ct) => Run(() => UpCommand.RunAsync(Lab(p, instance), new UpOptions
        {
            Nodes = p.GetValue(nodes),
            ExternalEtcd = p.GetValue(etcd),
            Network = LabLifecycle.ParseMode(p.GetValue(network)!),
            KeepOnFailure = p.GetValue(keep),
            CniCheckIntervalSeconds = p.GetValue(checkInterval),
            Secure = p.GetValue(secure),
            Stn = p.GetValue(stn),
            ClusterDns = !p.GetValue(noDns),
            Runtime = p.GetValue(runtime)!,
        }, ct)));
        root.Subcommands.Add(up);

        // down
        var down = new Command("down", "Remove the lab: every process, namespace, link and file it created (also after a crash)");
        down.SetAction((p, _) => Run(() => DownCommand.RunAsync(Lab(p, instance))));
        root.Subcommands.Add(down);

        // env
        var env = new Command("env", "Print shell exports for kubectl and etcdctl: eval \"$(contiv-lab env)\"");
        env.SetAction((p, _) => Run(() => Task.FromResult(EnvCommand.Run(Lab(p, instance)))));
        root.Subcommands.Add(env);

        // apply / delete
        var applyFiles = new Option<string[]>("--filename", "-f") { Description = "Manifest file (YAML, multi-document; - for stdin); repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var wait = new Option<bool>("--wait") { Description = "Wait until the manifests' pods are Ready and their Deployments, ReplicaSets and DaemonSets have rolled out (every replica updated and available)" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait", DefaultValueFactory = _ => 90 };
        var apply = new Command("apply", "Create or update objects from manifests (server-side apply)") { applyFiles, wait, timeout };
        apply.SetAction((p, ct) => Run(() => ApplyCommand.RunAsync(Lab(p, instance), p.GetValue(applyFiles)!, p.GetValue(wait), TimeSpan.FromSeconds(p.GetValue(timeout)), ct)));
        root.Subcommands.Add(apply);

        var deleteFiles = new Option<string[]>("--filename", "-f") { Description = "Manifest file (YAML, multi-document; - for stdin); repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var deleteTimeout = new Option<int>("--timeout") { Description = "Seconds to wait until the objects are gone", DefaultValueFactory = _ => 60 };
        var delete = new Command("delete", "Delete the objects of manifests and wait until they are gone") { deleteFiles, deleteTimeout };
        delete.SetAction((p, ct) => Run(() => DeleteCommand.RunAsync(Lab(p, instance), p.GetValue(deleteFiles)!, TimeSpan.FromSeconds(p.GetValue(deleteTimeout)), ct)));
        root.Subcommands.Add(delete);

        // status / check / logs
        var status = new Command("status", "Show the control plane, the nodes (daemons, agent readiness) and the pods with their IPs");
        status.SetAction((p, ct) => Run(() => StatusCommand.RunAsync(Lab(p, instance), ct)));
        root.Subcommands.Add(status);

        var port = new Option<int>("--port") { Description = "TCP port the check listens on where a target declares no containerPort", DefaultValueFactory = _ => ConnectivityCheck.DefaultPort };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON" };
        var check = new Command("check", "Connectivity matrix: pod↔pod, node host→pod and pod→node host, by ping and TCP; exit code 0 only when all pass") { port, json };
        check.SetAction((p, ct) => Run(() => CheckCommand.RunAsync(Lab(p, instance), p.GetValue(port), p.GetValue(json), ct)));
        root.Subcommands.Add(check);

        var component = new Argument<string>("component") { Description = "etcd, apiserver, ksr, scheduler, vpp-NODE, agent-NODE, kubelet-NODE, cni-NODE (CNI calls), pod/NS/NAME[/CONTAINER]" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines" };
        var tail = new Option<int>("--tail") { Description = "Lines to print first", DefaultValueFactory = _ => 100 };
        var logs = new Command("logs", "Print a component's log") { component, follow, tail };
        logs.SetAction((p, ct) => Run(() => LogsCommand.RunAsync(Lab(p, instance), p.GetValue(component)!, p.GetValue(follow), p.GetValue(tail), ct)));
        root.Subcommands.Add(logs);

        // node add / delete / restart
        var node = new Command("node", "Change the nodes of a running lab");
        var count = new Option<int>("--count") { Description = "How many nodes to add", DefaultValueFactory = _ => 1 };
        var nodeAdd = new Command("add", "Add nodes (numbered after the highest existing one)") { count };
        nodeAdd.SetAction((p, ct) => Run(() => NodeAddCommand.RunAsync(Lab(p, instance), p.GetValue(count), ct)));
        var nodeName = new Argument<string>("node") { Description = "Node name, e.g. node2" };
        var nodeDelete = new Command("delete", "Remove a node: its pods, daemons, Node object, namespace and links") { nodeName };
        nodeDelete.SetAction((p, ct) => Run(() => NodeDeleteCommand.RunAsync(Lab(p, instance), p.GetValue(nodeName)!, ct)));
        var restartName = new Argument<string>("node") { Description = "Node name, e.g. node1" };
        var components = new Option<string[]>("--component", "-c") { Description = "vpp, agent, kubelet (repeatable); with --stn also stn, init (vpp and agent mean init there)", DefaultValueFactory = _ => ["vpp", "agent"], AllowMultipleArgumentsPerToken = true };
        var nodeRestart = new Command("restart", "Restart a node's daemons (default: data plane and agent; pods keep running)") { restartName, components };
        nodeRestart.SetAction((p, ct) => Run(() => NodeRestartCommand.RunAsync(Lab(p, instance), p.GetValue(restartName)!, p.GetValue(components)!, ct)));
        node.Subcommands.Add(nodeAdd);
        node.Subcommands.Add(nodeDelete);
        node.Subcommands.Add(nodeRestart);
        root.Subcommands.Add(node);

        // Internal: the kubelet stand-in and the scheduler run as their own processes.
        var kNode = new Option<string>("--node") { Required = true, Description = "Node name" };
        var kNetns = new Option<string>("--node-netns") { Required = true, Description = "The node's network namespace" };
        var kHostIp = new Option<string>("--host-ip") { Required = true, Description = "The node's InternalIP" };
        var kKubeconfig = new Option<string>("--kubeconfig") { Required = true, Description = "kubeconfig of the API server" };
        var kConf = new Option<string>("--cni-conf-dir") { Required = true, Description = "CNI configuration directory" };
        var kBin = new Option<string>("--cni-bin-dir") { Required = true, Description = "CNI_PATH (':'-separated)" };
        var kState = new Option<string>("--state-dir") { Required = true, Description = "Directory for sandbox records and pod logs" };
        var kCheck = new Option<int>("--cni-check-interval") { Description = "Seconds between periodic CNI CHECK calls per pod; 0 (default) = none", DefaultValueFactory = _ => 0 };
        var kDns = new Option<string?>("--cluster-dns") { Description = "Cluster DNS Service IP for the pods' resolv.conf (none: pods keep the node's)" };
        var kDomain = new Option<string>("--cluster-domain") { Description = "Cluster domain of the pods' DNS search path", DefaultValueFactory = _ => "cluster.local" };
        var kRuntime = new Option<string?>("--container-runtime-endpoint") { Description = "CRI runtime socket (unix:///…) that runs the pods; default: host processes" };
        var kubelet = new Command("kubelet", "(internal) the kubelet stand-in of one node") { kNode, kNetns, kHostIp, kKubeconfig, kConf, kBin, kState, kCheck, kDns, kDomain, kRuntime };
        kubelet.Hidden = true;
        kubelet.SetAction((p, _) => Run(() => KubeletCommand.RunAsync(new KubeletOptions
        {
            NodeName = p.GetValue(kNode)!,
            NodeNetns = p.GetValue(kNetns)!,
            HostIp = p.GetValue(kHostIp)!,
            Kubeconfig = p.GetValue(kKubeconfig)!,
            CniConfDir = p.GetValue(kConf)!,
            CniBinPath = p.GetValue(kBin)!,
            StateDir = p.GetValue(kState)!,
            PodNetnsPrefix = Lab(p, instance).PodNetnsPrefix,
            CheckInterval = TimeSpan.FromSeconds(p.GetValue(kCheck)),
            ClusterDns = p.GetValue(kDns),
            ClusterDomain = p.GetValue(kDomain)!,
            RuntimeEndpoint = p.GetValue(kRuntime),
        })));
        root.Subcommands.Add(kubelet);

        var sKubeconfig = new Option<string>("--kubeconfig") { Required = true, Description = "kubeconfig of the API server" };
        var scheduler = new Command("scheduler", "(internal) binds unscheduled pods to the least loaded Ready node") { sKubeconfig };
        scheduler.Hidden = true;
        scheduler.SetAction((p, _) => Run(() => SchedulerCommand.RunAsync(p.GetValue(sKubeconfig)!)));
        root.Subcommands.Add(scheduler);

        var cmKubeconfig = new Option<string>("--kubeconfig") { Required = true, Description = "kubeconfig of the API server" };
        var controllerManager = new Command("controller-manager", "(internal) Deployment, ReplicaSet, DaemonSet, Job and garbage collection controllers") { cmKubeconfig };
        controllerManager.Hidden = true;
        controllerManager.SetAction((p, _) => Run(() => ControllerManagerCommand.RunAsync(p.GetValue(cmKubeconfig)!)));
        root.Subcommands.Add(controllerManager);

        var dKubeconfig = new Option<string>("--kubeconfig") { Required = true, Description = "kubeconfig of the API server" };
        var dListen = new Option<string>("--listen") { Description = "UDP and TCP address:port to answer on", DefaultValueFactory = _ => "0.0.0.0:53" };
        var dDomain = new Option<string>("--cluster-domain") { Description = "The cluster domain", DefaultValueFactory = _ => "cluster.local" };
        var dNetns = new Option<string?>("--api-netns") { Description = "Network namespace (path) to reach the API server from (default: $CONTIV_LAB_CONTROL_NETNS, else this process's)" };
        var dns = new Command("dns", "(internal) the cluster DNS server of the kube-dns pods") { dKubeconfig, dListen, dDomain, dNetns };
        dns.Hidden = true;
        dns.SetAction((p, _) => Run(() => DnsCommand.RunAsync(p.GetValue(dKubeconfig)!, p.GetValue(dListen)!, p.GetValue(dDomain)!, p.GetValue(dNetns))));
        root.Subcommands.Add(dns);

        // The kubelet handles SIGTERM itself (it removes its pods first), so no forced exit after 2 s.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    private static LabInstance Lab(ParseResult p, Option<string?> instance) => LabInstance.Resolve(p.GetValue(instance));

    private static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException)
        {
            await Console.Error.WriteLineAsync("contiv-lab: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("contiv-lab: cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or InvalidDataException
            or HttpRequestException or k8s.Autorest.HttpOperationException or UnauthorizedAccessException or Contiv.Linux.NetlinkException)
        {
            await Console.Error.WriteLineAsync("contiv-lab: " + e.Message).ConfigureAwait(false);
            return 1;
        }
    }
}
