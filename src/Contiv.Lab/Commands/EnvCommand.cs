using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab env</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class EnvCommand
{
    /// <summary><c>env</c>.</summary>
    public static int Run(LabInstance lab)
    {
        var state = LabState.LoadRequired(lab);
        LabConsole.Say($"export KUBECONFIG={lab.KubeconfigPath}");
        LabConsole.Say("export ETCDCTL_API=3");
        LabConsole.Say($"export ETCDCTL_ENDPOINTS={state.EtcdUrl}");
        if (state.Secure)
        {
            var certs = LabCertificates.Of(lab);
            LabConsole.Say($"export ETCDCTL_CACERT={certs.CaFile} ETCDCTL_CERT={certs.ClientCertFile} ETCDCTL_KEY={certs.ClientKeyFile}");
        }

        return 0;
    }
}
