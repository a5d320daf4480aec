using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The product with Services: two nodes (instance <c>e2es</c>), three who-am-i backends (two on
/// node1, one on node2), a client pod per node and the Services of <see cref="ServiceManifests.AllServices"/>.
/// Started once for all of <see cref="ServiceTests"/>; a failing start fails every test with the
/// lab's diagnostics.
/// </summary>
public sealed class ServicesLabFixture : IDisposable
{
    public ServicesLabFixture()
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

        foreach (var (what, yaml, wait) in new[] { ("pods", ServiceManifests.Workloads, true), ("services", ServiceManifests.AllServices, false) })
        {
            var file = Path.Combine(Path.GetTempPath(), $"cle2e-services-{what}.yaml");
            File.WriteAllText(file, yaml);
            var apply = wait
                ? Lab.Run(TimeSpan.FromSeconds(180), "apply", "-f", file, "--wait", "--timeout", "120")
                : Lab.Run(TimeSpan.FromSeconds(60), "apply", "-f", file);
            File.Delete(file);
            if (apply.ExitCode != 0)
            {
                StartError = $"applying the {what} failed:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
                return;
            }
        }
    }

    public Lab Lab { get; } = new("e2es");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => Lab.Dispose();
}
