using System.Runtime.InteropServices;
using Contiv.Lab.Kubelet;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary>The hidden <c>contiv-lab kubelet</c>: one node's kubelet stand-in, started by <c>up</c>.</summary>
internal static class KubeletCommand
{
    /// <summary>The hidden <c>kubelet</c> subcommand: runs until SIGTERM, then removes the node's pods.</summary>
    public static async Task<int> RunAsync(KubeletOptions options)
    {
        using var cts = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        LabLog.Info("kubelet/" + options.NodeName, $"starting (netns {options.NodeNetns}, host IP {options.HostIp}, pid {Environment.ProcessId})");
        await new KubeletService(options).RunAsync(cts.Token).ConfigureAwait(false);
        LabLog.Info("kubelet/" + options.NodeName, "stopped");
        return 0;
    }
}
