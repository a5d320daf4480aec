using System.Collections;
using Contiv.Cni.Commands;
using Contiv.Cni.Protocol;

// contiv-cni: the CNI plugin a container runtime executes for every pod (SPEC §1.7).
// Parameters come from CNI_* environment variables, the network configuration from stdin; the
// result or an error JSON goes to stdout, diagnostics to stderr and the configured log file.
if (args.Length > 0 && args[0] is "--help" or "-h" or "help")
{
    Console.Out.Write(Help.Text);
    return 0;
}

if (args.Length > 0)
{
    Console.Error.WriteLine($"contiv-cni: unexpected argument \"{args[0]}\"; a runtime passes everything through CNI_* variables and stdin (see --help)");
    return 2;
}

var vars = new Dictionary<string, string>(StringComparer.Ordinal);
foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
{
    vars[(string)e.Key] = e.Value as string ?? string.Empty;
}

using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = false };
var code = CniPlugin.Run(vars, () => NetworkConfig.ReadStdin(Console.OpenStandardInput()), stdout);
stdout.Flush();
return code;

/// <summary>The text of <c>contiv-cni --help</c>.</summary>
internal static class Help
{
    public const string Text = """
        contiv-cni — Contiv-VPP CNI plugin (CNI spec 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)

        Executed by a container runtime, never by hand:
          CNI_COMMAND=ADD|DEL|CHECK|STATUS|VERSION|GC  CNI_CONTAINERID  CNI_NETNS  CNI_IFNAME
          CNI_ARGS (K8S_POD_NAME=..;K8S_POD_NAMESPACE=..)  CNI_PATH (for ipam.type plugins)
          stdin: the network configuration; stdout: the result or {cniVersion, code, msg, details}.

        Network configuration keys (besides cniVersion, cniVersions, name, type):
          grpcServer  the agent's RemoteCNI server: /path = unix socket, else host:port (required)
          logFile     log file (default /tmp/contiv-cni.log; "" disables it)
          dataDir     attachment records used by GC (default /var/lib/cni/contiv-cni)
          readinessUrl  agent readiness probe checked by STATUS (e.g. http://127.0.0.1:9999/readiness)
          ipam        {"type": "<plugin>", ...}: run that IPAM plugin from CNI_PATH first
          dns         {"nameservers": [...], "search": [...], ...}: the result's dns when the agent sends none

        Exit code 0 on success, 1 with an error JSON otherwise. Error codes: the spec's 1-11, 50, 51;
        100 agent call failed, 101 agent refused, 102 bad agent reply, 103 IPAM failed,
        104 CHECK mismatch, 105 netns not readable, 106 dataDir not writable, 999 internal error.

        """;
}
