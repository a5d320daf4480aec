using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab up</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class UpCommand
{
    /// <summary><c>up</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, UpOptions options, CancellationToken ct)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var state = await LabLifecycle.UpAsync(lab, options, LabConsole.Say, ct).ConfigureAwait(false);
        LabConsole.Say($"lab \"{lab.Name}\" is up: {state.Nodes.Count} node(s), {state.Network} network{(state.Stn ? " with STN" : string.Empty)}, in {sw.Elapsed.TotalSeconds:0.0}s");
        LabConsole.Say(string.Empty);
        LabConsole.Say(Usage(lab, state));
        return 0;
    }

    /// <summary>How to use a running lab (printed by <c>up</c> and the demo).</summary>
    public static string Usage(LabInstance lab, LabState state)
    {
        var inst = lab.Name == LabInstance.DefaultName ? string.Empty : $" --instance {lab.Name}";
        var first = state.Nodes.FirstOrDefault();
        var lines = new List<string>
        {
            $"kubeconfig: {lab.KubeconfigPath}",
            "Use it:",
            $"  eval \"$(contiv-lab env{inst})\"        # KUBECONFIG, ETCDCTL_API, ETCDCTL_ENDPOINTS",
            "  kubectl get nodes,pods -o wide",
            $"  contiv-lab apply{inst} -f examples/demo.yaml && contiv-lab check{inst}",
            "  etcdctl get --prefix /vnf-agent/contiv-ksr/ --keys-only",
        };
        if (state.UiPort != 0)
        {
            lines.Insert(0, $"web UI: {ControlPlane.LabUi.Url(state)}" + (state.Secure ? $" (user {LabCertificates.RestUser}, password in {LabCertificates.Of(lab).RestPasswordFile}; CA {LabCertificates.Of(lab).CaFile})" : string.Empty));
        }

        if (first is not null && state.Network == "contiv")
        {
            lines.Add($"  contiv-vppctl -s {first.VppCliSocket} show interface");
            lines.Add(state.Secure
                ? $"  curl -s --cacert {LabCertificates.Of(lab).CaFile} -u {LabCertificates.RestUser}:$(cat {LabCertificates.Of(lab).RestPasswordFile}) {first.RestUrl}/contiv/v1/ipam"
                : $"  curl -s {first.RestUrl}/contiv/v1/ipam");
        }

        if (first is not null && state.Stn)
        {
            lines.Add($"  ip netns exec {first.Netns} ip addr; contiv-lab logs{inst} {Nodes.StnNodes.Init}-{first.Name}   # the stolen NIC, contiv-init with contiv-vpp and contiv-agent");
        }

        lines.Add($"  contiv-lab status{inst}; contiv-lab logs{inst} <component>; contiv-lab down{inst}");
        return string.Join('\n', lines);
    }
}
