using System.CommandLine;
using Contiv.Netctl;
using Contiv.Netctl.Commands;

// contiv-netctl: the operator's view of a Contiv cluster (SPEC §1.5; docs/netctl.md).
var global = new GlobalOptions();
var root = new RootCommand("contiv-netctl: inspect and validate a Contiv-VPP cluster. Node names are resolved through etcd "
    + "(VppNode + k8s Node records); each node's agent is reached over its REST API at http(s)://{management IP}:{port} "
    + "or the URL given by --agent-endpoints / $CONTIV_AGENT_ENDPOINTS (eval \"$(contiv-lab env)\" sets it for the lab).");
global.AddTo(root);
root.Subcommands.Add(NodesCommand.Create(global));
root.Subcommands.Add(IpamCommand.Create(global));
root.Subcommands.Add(PodsCommand.Create(global));
root.Subcommands.Add(VppDumpCommand.Create(global));
root.Subcommands.Add(VppCliCommand.Create(global));
root.Subcommands.Add(ValidateCommand.Create(global));
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
