using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// A healthy three-node lab (instance <c>e2en</c>) with one sleeper pod per node (<c>p1</c>–<c>p3</c>),
/// for contiv-netctl and topology validation. A failing <c>up</c> or pod start fails every test of the
/// class with the lab's diagnostics.
/// </summary>
public sealed class NetctlLabFixture : IDisposable
{
    public static readonly string BasePods = Pods.Join(Pods.Sleeper("p1", "node1"), Pods.Sleeper("p2", "node2"), Pods.Sleeper("p3", "node3"));

    public NetctlLabFixture()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        Lab.Run("down");
        // No cluster DNS: the golden pod lists and IPs name only the test's own pods.
        var up = Lab.Run(TimeSpan.FromSeconds(300), "up", "--nodes", "3", "--no-cluster-dns");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 3 failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
            return;
        }

        var file = Path.Combine(Path.GetTempPath(), "cle2e-netctl.yaml");
        File.WriteAllText(file, BasePods);
        var apply = Lab.Run(TimeSpan.FromSeconds(180), "apply", "-f", file, "--wait", "--timeout", "90");
        File.Delete(file);
        if (apply.ExitCode != 0)
        {
            StartError = $"the three pods did not become ready:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
        }
    }

    public Lab Lab { get; } = new("e2en");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => Lab.Dispose();
}
