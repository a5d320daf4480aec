using System.Runtime.InteropServices;
using Contiv.Lab.Controllers;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary>The hidden <c>contiv-lab controller-manager</c>: Deployment, ReplicaSet, DaemonSet, Job and garbage collection controllers, started by <c>up</c>.</summary>
internal static class ControllerManagerCommand
{
    /// <summary>The hidden <c>controller-manager</c> subcommand.</summary>
    public static async Task<int> RunAsync(string kubeconfig)
    {
        using var cts = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var client = KubeClients.FromKubeconfig(kubeconfig);
        await new ControllerManager(client).RunAsync(cts.Token).ConfigureAwait(false);
        return 0;
    }
}
