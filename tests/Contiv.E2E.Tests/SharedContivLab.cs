using System.Text.RegularExpressions;
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
public sealed partial class SharedContivLab : IDisposable
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

    /// <summary>
    /// Deletes what a class applied: first everything but its Namespaces (pods go through the kubelet's teardown),
    /// then the Namespaces; waits until the pods' network namespaces are gone (CNI DEL done: TAPs and IPs freed), so
    /// the next class starts from the bare lab.
    /// </summary>
    public void RemoveFor(string yaml)
    {
        if (StartError is not null || !Privileges.IsRoot)
        {
            return;
        }

        var docs = yaml.Split('\n').Aggregate(new List<string> { string.Empty }, (acc, line) =>
        {
            if (line.Trim() == "---")
            {
                acc.Add(string.Empty);
            }
            else
            {
                acc[^1] += line + "\n";
            }

            return acc;
        }).Where(d => d.Trim().Length > 0).ToList();
        bool IsNamespace(string doc) => NamespaceKind().IsMatch(doc);
        Delete(string.Join("---\n", docs.Where(d => !IsNamespace(d))));
        Delete(string.Join("---\n", docs.Where(IsNamespace)));

        var pods = docs.Where(d => PodKind().IsMatch(d)).Select(d => MetadataName().Match(d).Groups[1].Value).Where(n => n.Length > 0).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && Shell.Run("ip netns list").StdOut.Split('\n').Any(l => pods.Any(p => l.StartsWith($"{Lab.NetnsPrefix}pod-{p}-", StringComparison.Ordinal))))
        {
            Thread.Sleep(250);
        }
    }

    [GeneratedRegex(@"^kind:\s*Namespace\s*$", RegexOptions.Multiline)]
    private static partial Regex NamespaceKind();

    [GeneratedRegex(@"^kind:\s*Pod\s*$", RegexOptions.Multiline)]
    private static partial Regex PodKind();

    [GeneratedRegex(@"^metadata:\s*\n\s+name:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex MetadataName();

    private void Delete(string yaml)
    {
        if (yaml.Trim().Length == 0)
        {
            return;
        }

        var file = Path.Combine(Path.GetTempPath(), $"cle2ec-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try
        {
            Lab.Run(TimeSpan.FromSeconds(150), "delete", "-f", file, "--timeout", "120");
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
