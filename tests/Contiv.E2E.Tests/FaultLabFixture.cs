using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>One two-node lab (instance <c>e2ef</c>) with four base pods, shared by every fault-injection test.</summary>
public sealed class FaultLabFixture : IDisposable
{
    public FaultLabFixture()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        Lab.Run("down");
        var up = Lab.Run(TimeSpan.FromSeconds(240), "up", "--nodes", "2", "--no-cluster-dns");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 2 failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
            return;
        }

        var file = Path.Combine(Path.GetTempPath(), "cle2ef-base.yaml");
        File.WriteAllText(file, ContivLabFixture.BasePods);
        var apply = Lab.Run(TimeSpan.FromSeconds(180), "apply", "-f", file, "--wait", "--timeout", "90");
        File.Delete(file);
        if (apply.ExitCode != 0)
        {
            StartError = $"the four base pods did not become ready:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
        }
    }

    public Lab Lab { get; } = new("e2ef");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => Lab.Dispose();
}
