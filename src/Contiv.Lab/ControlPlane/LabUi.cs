using System.Text;
using Contiv.Lab.Lab;
using Contiv.Lab.Processes;

namespace Contiv.Lab.ControlPlane;

/// <summary>
/// contiv-ui in the lab: on 127.0.0.1 (port 9500 when free), supervised like the other daemons, reading the lab's
/// kubeconfig and reaching each node's agent through <c>vswitchEndpoints</c> (node management IP → the agent's REST on
/// 127.0.0.1, since the management IPs live inside the node namespaces) and contiv-crd's netctl through
/// <c>crdEndpoint</c>. A secure lab serves it over HTTPS with the
/// lab's server certificate and the REST user's basic auth, and gives it the agents' CA and credentials.
/// </summary>
internal static class LabUi
{
    /// <summary>The process name in the state file and in <c>logs</c>.</summary>
    public const string ProcessName = "ui";

    /// <summary>The UI's config file.</summary>
    public static string ConfigPath(LabInstance lab) => Path.Combine(lab.StateDir, "ui.yaml");

    /// <summary>The URL of the lab's UI.</summary>
    public static string Url(LabState state) => $"{LabSecurity.Scheme(state)}://127.0.0.1:{state.UiPort}/";

    /// <summary>Writes the config, starts contiv-ui and waits until it answers; false when contiv-ui is not built.</summary>
    public static async Task<bool> StartAsync(LabInstance lab, LabState state, LabBinaries bins, HashSet<int> taken, CancellationToken ct)
    {
        if (!bins.Has("contiv-ui"))
        {
            return false;
        }

        state.UiPort = Ports.Pick(lab.Name == LabInstance.DefaultName ? 9500 : null, taken);
        LabState.Update(lab, s => s.UiPort = state.UiPort);
        WriteConfig(lab, state);
        var record = DetachedProcess.Start(lab, ProcessName, bins.Path("contiv-ui"), ["--config", ConfigPath(lab)], Path.Combine(lab.LogDir, "ui.log"));
        LabControlPlane.Record(lab, state, record);
        await LabControlPlane.WaitHttpAsync("contiv-ui", record, Url(state) + "readiness", _ => true, TimeSpan.FromSeconds(30), ct, LabSecurity.HttpClient(lab, state)).ConfigureAwait(false);
        return true;
    }

    /// <summary>(Re)writes the config from the lab's nodes; a running UI follows the change (docs/ui.md).</summary>
    public static void WriteConfig(LabInstance lab, LabState state)
    {
        var yaml = new StringBuilder()
            .AppendLine("# written by contiv-lab; rewritten when nodes join or leave")
            .AppendLine("address: 127.0.0.1")
            .AppendLine($"port: {state.UiPort}")
            .AppendLine($"kubeconfig: {Quote(lab.KubeconfigPath)}")
            // contiv-crd listens on 127.0.0.1 (not on a node address): POST /api/netctl goes there.
            .AppendLine($"crdEndpoint: {Quote($"{LabSecurity.Scheme(state)}://127.0.0.1:{state.CrdPort}")}")
            .AppendLine("vswitchEndpoints:");
        foreach (var n in state.Nodes)
        {
            yaml.AppendLine($"  {Quote(n.ManagementIp)}: {Quote(n.RestUrl)}");
        }

        if (state.Secure)
        {
            var c = LabCertificates.Of(lab);
            var password = File.ReadLines(c.RestPasswordFile).First().Trim();
            yaml.AppendLine($"serverCrt: {Quote(c.ServerCertFile)}")
                .AppendLine($"serverKey: {Quote(c.ServerKeyFile)}")
                .AppendLine($"basicAuth: {{{LabCertificates.RestUser}: {Quote(password)}}}")
                .AppendLine("contivHTTPSEnabled: true")
                .AppendLine($"contivCA: {Quote(c.CaFile)}")
                .AppendLine($"contivBasicAuthUser: {LabCertificates.RestUser}")
                .AppendLine($"contivBasicAuthPass: {Quote(password)}");
        }

        var path = ConfigPath(lab);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            // It may hold the REST password: private before anything is written into it.
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(tmp, yaml.ToString());
        File.Move(tmp, path, overwrite: true);
    }

    private static string Quote(string s) => $"\"{s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
}
