using System.Diagnostics;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// One two-node <c>up --stn</c> lab (instance <c>e2estn</c>) shared by every STN test: each node has only
/// <c>eth0</c> (node IP 192.168.16.N/24, default route via the underlay's gateway 192.168.16.254), stolen by
/// contiv-stn for the data plane that contiv-init runs; one web pod per node.
/// </summary>
public sealed class StnLabFixture : IDisposable
{
    public const string Gateway = "192.168.16.254";

    public static readonly string BasePods = Pods.Join(Pods.Web("sweb1", "node1"), Pods.Web("sweb2", "node2"));

    public StnLabFixture()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        var sw = Stopwatch.StartNew();
        Lab.Run("down");
        var up = Lab.Run(TimeSpan.FromSeconds(240), "up", "--nodes", "2", "--stn", "--no-cluster-dns");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 2 --stn failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
            return;
        }

        UpOutput = up.StdOut;
        UpSeconds = sw.Elapsed.TotalSeconds;
        var file = Path.Combine(Path.GetTempPath(), "cle2estn-base.yaml");
        File.WriteAllText(file, BasePods);
        var apply = Lab.Run(TimeSpan.FromSeconds(180), "apply", "-f", file, "--wait", "--timeout", "90");
        File.Delete(file);
        if (apply.ExitCode != 0)
        {
            StartError = $"the base pods did not become ready:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
        }
    }

    public Lab Lab { get; } = new("e2estn");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    /// <summary>What <c>up</c> printed.</summary>
    public string UpOutput { get; } = string.Empty;

    /// <summary>How long <c>up</c> took.</summary>
    public double UpSeconds { get; }

    /// <summary>The underlay namespace (holds the gateway address on br-data).</summary>
    public string UnderlayNetns => Lab.NetnsPrefix + "lab";

    /// <summary>Node N's host namespace.</summary>
    public string NodeNetns(int index) => $"{Lab.NetnsPrefix}node{index}";

    public void Dispose() => Lab.Dispose();
}
