using System.Net;
using System.Runtime.InteropServices;
using Contiv.Lab.Dns;
using Contiv.Lab.Lab;
using Contiv.Linux;

namespace Contiv.Lab.Commands;

/// <summary>
/// The hidden <c>contiv-lab dns</c>: the lab's cluster DNS server, run as the container of the
/// <c>kube-system/kube-dns</c> pods behind the Service <c>kube-dns</c> (10.96.0.10).
/// </summary>
internal static class DnsCommand
{
    /// <summary>Environment variable the lab's kubelet sets in every container: the path of the control-plane network namespace.</summary>
    public const string ControlNetnsVariable = "CONTIV_LAB_CONTROL_NETNS";

    /// <summary>Runs the server until SIGTERM.</summary>
    public static async Task<int> RunAsync(string kubeconfig, string listen, string domain, string? controlNetnsPath)
    {
        if (!IPEndPoint.TryParse(listen, out var endpoint))
        {
            throw new ArgumentException($"--listen \"{listen}\" is not an address:port");
        }

        if (endpoint.Port == 0)
        {
            endpoint.Port = 53;
        }

        using var cts = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });

        controlNetnsPath ??= Environment.GetEnvironmentVariable(ControlNetnsVariable);
        using var controlNetns = string.IsNullOrEmpty(controlNetnsPath) ? null : NetworkNamespace.Open(controlNetnsPath);
        using var client = ControlPlaneClient.Create(kubeconfig, controlNetns);
        var directory = new ServiceDirectory(client, domain);
        var watching = directory.RunAsync(cts.Token);

        // Listen only once the zone is complete: a listening port is the pod's readiness.
        await Task.WhenAny(directory.Synced, watching).ConfigureAwait(false);
        if (cts.IsCancellationRequested)
        {
            return 0;
        }

        using var server = new ClusterDnsServer(endpoint, () => directory.Zone);
        server.Start();
        LabLog.Info("dns", $"serving {domain} on {endpoint} (UDP and TCP), {directory.Zone.Count} names; API through {(controlNetns is null ? "this namespace" : controlNetnsPath)}");
        try
        {
            await watching.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }

        return 0;
    }
}
