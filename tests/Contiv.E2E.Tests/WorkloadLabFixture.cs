using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// One contiv lab (instance <c>e2ew</c>, two nodes) shared by every workload test: the controller-manager, kubectl's
/// workload verbs, logs and exec run against it. A failing <c>up</c> fails every test of the class with the output.
/// </summary>
public sealed class WorkloadLabFixture : IDisposable
{
    public WorkloadLabFixture()
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

        var apply = Lab.Run(TimeSpan.FromSeconds(120), "apply", "-f", WriteTemp(Pods.Sleeper("client", "node1")), "--wait", "--timeout", "90");
        if (apply.ExitCode != 0)
        {
            StartError = $"the client pod did not become ready:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
        }
    }

    public Lab Lab { get; } = new("e2ew");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    /// <summary>Writes a manifest into a temporary file and returns its path.</summary>
    public static string WriteTemp(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"clw-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    public void Dispose() => Lab.Dispose();
}
