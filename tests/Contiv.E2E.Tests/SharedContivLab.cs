using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// One plain contiv lab (instance <c>e2ec</c>: two nodes, <c>--no-cluster-dns</c>) started once for every class of
/// the collection <see cref="SharedContivLabCollection.Name"/>: <c>contiv-lab up</c> costs more than most of those
/// classes' tests, and their labs were identical. Each class's own fixture applies its pods (and Services) on top
/// with <see cref="ApplyFor"/> and deletes them with <see cref="RemoveFor"/> when the class ends, so every class finds
/// the bare two-node lab whatever ran before it; tests that change the lab (node add, restarts, <c>kill -9</c>)
/// restore it themselves. A failing <c>up</c> fails every test of every class with the output.
/// </summary>
public sealed class SharedContivLab : IDisposable
{
    public SharedContivLab()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        Lab.Run("down");
        // No cluster DNS: matrix sizes, golden pod lists and pod counts name only the tests' own pods.
        var up = Lab.Run(TimeSpan.FromSeconds(240), "up", "--nodes", "2", "--no-cluster-dns");
        if (up.ExitCode != 0)
        {
            StartError = $"contiv-lab up --nodes 2 failed ({up.ExitCode}):\n{up.StdOut}\n{up.StdErr}";
        }
    }

    public Lab Lab { get; } = new("e2ec");

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    /// <summary>
    /// Applies a class's manifest (waiting for its pods when <paramref name="waitSeconds"/> is set); returns why it
    /// failed, or null.
    /// </summary>
    public string? ApplyFor(string what, string yaml, int? waitSeconds)
    {
        if (StartError is not null)
        {
            return StartError;
        }

        var file = Path.Combine(Path.GetTempPath(), $"cle2ec-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try
        {
            var apply = waitSeconds is { } wait
                ? Lab.Run(TimeSpan.FromSeconds(wait + 90), "apply", "-f", file, "--wait", "--timeout", wait.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : Lab.Run(TimeSpan.FromSeconds(60), "apply", "-f", file);
            return apply.ExitCode == 0 ? null : $"{what} failed:\n{apply.StdOut}\n{apply.StdErr}\n{Lab.Diagnostics()}";
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Deletes what a class applied and waits until it is gone, so the next class starts from the bare lab.</summary>
    public void RemoveFor(string yaml)
    {
        if (StartError is not null || !Privileges.IsRoot)
        {
            return;
        }

        var file = Path.Combine(Path.GetTempPath(), $"cle2ec-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try
        {
            Lab.Run(TimeSpan.FromSeconds(150), "delete", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Dispose() => Lab.Dispose();
}

/// <summary>The classes that run on <see cref="SharedContivLab"/> (one after the other, like every E2E class).</summary>
[CollectionDefinition(Name)]
public sealed class SharedContivLabCollection : ICollectionFixture<SharedContivLab>
{
    public const string Name = "shared contiv lab e2ec";
}
