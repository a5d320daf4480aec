using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Contiv.Deploy.Tests;

/// <summary>One object of a rendered manifest.</summary>
/// <param name="Kind">Its kind.</param>
/// <param name="Name">metadata.name.</param>
/// <param name="Namespace">metadata.namespace, or null for cluster-scoped objects.</param>
/// <param name="Root">The whole object.</param>
internal sealed record KubeObject(string Kind, string Name, string? Namespace, YamlMappingNode Root)
{
    /// <summary>The node at a dotted path (<c>spec.template.spec</c>), or null.</summary>
    public YamlNode? At(string path) => Yaml.At(Root, path);

    /// <summary>The scalar at a dotted path, or null.</summary>
    public string? Text(string path) => Yaml.Text(Root, path);

    /// <summary>A ConfigMap's <c>data</c> entry (keys contain dots, so not a dotted path), or null.</summary>
    public string? Data(string key) =>
        At("data") is YamlMappingNode data && data.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

/// <summary>Renders a kustomization with <c>kubectl kustomize</c> and parses the objects.</summary>
internal static class Rendered
{
    private static readonly Dictionary<string, IReadOnlyList<KubeObject>> Cache = [];

    /// <summary>The repository root (the directory holding Contiv.sln).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>deploy/ under the repository root.</summary>
    public static string DeployDir => Path.Combine(RepoRoot, "deploy");

    /// <summary>The objects of <paramref name="kustomization"/> (relative to deploy/), rendered once per test run.</summary>
    public static IReadOnlyList<KubeObject> Of(string kustomization)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(kustomization, out var objects))
            {
                objects = Parse(Kustomize(Path.Combine(DeployDir, kustomization)));
                Cache[kustomization] = objects;
            }

            return objects;
        }
    }

    /// <summary>The one object of <paramref name="kind"/> named <paramref name="name"/>.</summary>
    public static KubeObject Single(this IReadOnlyList<KubeObject> objects, string kind, string name)
    {
        var found = objects.Where(o => o.Kind == kind && o.Name == name).ToList();
        Assert.True(found.Count == 1, $"expected one {kind} {name}, found {found.Count}");
        return found[0];
    }

    /// <summary>Runs <c>kubectl kustomize DIR</c>; fails the test with kubectl's message when it fails.</summary>
    public static string Kustomize(string dir)
    {
        var psi = new ProcessStartInfo("kubectl", ["kustomize", dir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process? started;
        try
        {
            started = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("these tests need kubectl (with its built-in kustomize) on the PATH: " + e.Message, e);
        }

        using var process = started ?? throw new InvalidOperationException("cannot start kubectl");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), $"kubectl kustomize {dir} did not finish in 60 s");
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {dir} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }

    /// <summary>Parses a multi-document YAML stream of Kubernetes objects.</summary>
    public static IReadOnlyList<KubeObject> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var objects = new List<KubeObject>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is not YamlMappingNode root)
            {
                continue;
            }

            objects.Add(new KubeObject(
                Yaml.Text(root, "kind") ?? throw new InvalidDataException("an object without kind"),
                Yaml.Text(root, "metadata.name") ?? throw new InvalidDataException("an object without metadata.name"),
                Yaml.Text(root, "metadata.namespace"),
                root));
        }

        return objects;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Contiv.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Contiv.sln above {AppContext.BaseDirectory}");
    }
}
