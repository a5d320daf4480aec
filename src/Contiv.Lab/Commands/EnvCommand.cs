using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary>
/// <c>contiv-lab env</c> (exit codes: 0 ok, 1 failure, 2 bad input): exports for kubectl, etcdctl and
/// contiv-netctl — the lab's executables on PATH, each agent's REST URL (the lab's agents all listen on
/// 127.0.0.1 with their own port, not on {management IP}:9999) and, with <c>--secure</c>, the CA and REST
/// credentials.
/// </summary>
internal static class EnvCommand
{
    /// <summary><c>env</c>.</summary>
    public static int Run(LabInstance lab)
    {
        var state = LabState.LoadRequired(lab);
        var bin = LabBinaries.Locate().Dir;
        LabConsole.Say($"case \":$PATH:\" in *\":{bin}:\"*) ;; *) export PATH=\"{bin}:$PATH\" ;; esac");
        LabConsole.Say($"export KUBECONFIG={lab.KubeconfigPath}");
        LabConsole.Say("export ETCDCTL_API=3");
        LabConsole.Say($"export ETCDCTL_ENDPOINTS={state.EtcdUrl}");
        LabConsole.Say($"export CONTIV_AGENT_ENDPOINTS={string.Join(",", state.Nodes.OrderBy(n => n.Index).Select(n => $"{n.Name}={n.RestUrl}"))}");
        if (state.Secure)
        {
            var certs = LabCertificates.Of(lab);
            LabConsole.Say($"export ETCDCTL_CACERT={certs.CaFile} ETCDCTL_CERT={certs.ClientCertFile} ETCDCTL_KEY={certs.ClientKeyFile}");
            LabConsole.Say($"export CONTIV_AGENT_CA_FILE={certs.CaFile} CONTIV_AGENT_USER={LabCertificates.RestUser} CONTIV_AGENT_PASSWORD_FILE={certs.RestPasswordFile}");
        }

        return 0;
    }
}
