using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The product with NetworkPolicies: two nodes (instance <c>e2ep</c>) and the 3 × 3 grid of
/// <see cref="PolicyManifests"/>. Started once for all of <see cref="PolicyTests"/>; a failing start fails every test
/// with the lab's diagnostics.
/// </summary>
public sealed class PolicyLabFixture : IDisposable
{
    public PolicyLabFixture()
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

        var file = Path.Combine(Path.GetTempPath(), "cle2e-policy-grid.yaml");
        File.WriteAllText(file, PolicyManifests.GridManifest());
        var apply = Lab.Run(TimeSpan.FromSeconds(180), "apply", "-f", file, "--wait", "--timeout", "120");
        File.Delete(file);
        if (apply.ExitCode != 0)
        {
            StartError = $"applying the grid failed:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
        }
    }

    public Lab Lab { get; } = new("e2ep");

    /// <summary>The grid pods with IPs and namespaces, looked up by the first test that needs them.</summary>
    public List<PolicyTests.GridPod>? Pods { get; set; }

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => Lab.Dispose();
}
