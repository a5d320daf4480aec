using System.Runtime.InteropServices;
using Contiv.Lab.Kubelet;

namespace Contiv.Lab.Commands;

/// <summary>The hidden <c>contiv-lab scheduler</c>: binds unscheduled pods to nodes, started by <c>up</c>.</summary>
internal static class SchedulerCommand
{
    /// <summary>The hidden <c>scheduler</c> subcommand.</summary>
    public static async Task<int> RunAsync(string kubeconfig)
    {
        using var cts = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        await new LabScheduler(kubeconfig).RunAsync(cts.Token).ConfigureAwait(false);
        return 0;
    }
}
