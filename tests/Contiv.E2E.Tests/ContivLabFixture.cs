using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The product in the lab: two nodes, each with contiv-vpp (owning its data link), contiv-agent,
/// contiv-cni and a kubelet; four pods (two TCP servers, two sleepers), two on each node.
/// A failing <c>up</c> or pod start fails every test of the class with the lab's diagnostics.
/// </summary>
public sealed class ContivLabFixture : IDisposable
{
    public static readonly string BasePods = Pods.Join(Pods.Web("web1", "node1"), Pods.Web("web2", "node2"), Pods.Sleeper("client1", "node1"), Pods.Sleeper("client2", "node2"));

    public ContivLabFixture()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        Lab.Run("down");
        // No cluster DNS: the matrix size and the pod IPs asserted here count only the test's own pods.
        var up = Lab.Run(TimeSpan.FromSeconds(240), "up", "--nodes", "2", "--no-cluster-dns");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 2 failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
            return;
        }

        var file = Path.Combine(Path.GetTempPath(), "cle2e-base.yaml");
        File.WriteAllText(file, BasePods);
        var apply = Lab.Run(TimeSpan.FromSeconds(180), "apply", "-f", file, "--wait", "--timeout", "90");
        File.Delete(file);
        if (apply.ExitCode != 0)
        {
            StartError = $"the four base pods did not become ready:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
        }
    }

    public Lab Lab { get; } = new("e2ec");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => Lab.Dispose();
}
