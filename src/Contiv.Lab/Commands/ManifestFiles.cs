using Contiv.Lab.Manifests;

namespace Contiv.Lab.Commands;

/// <summary>The manifests named by <c>-f</c> (files or <c>-</c> for stdin), parsed into objects.</summary>
internal static class ManifestFiles
{
    /// <summary>Every document of every file, in order.</summary>
    public static List<System.Text.Json.Nodes.JsonObject> Load(IReadOnlyList<string> files)
    {
        if (files.Count == 0)
        {
            throw new ArgumentException("no manifest given: use -f FILE (or -f - for stdin)");
        }

        var objects = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var f in files)
        {
            var text = f == "-" ? Console.In.ReadToEnd() : File.Exists(f) ? File.ReadAllText(f) : throw new FileNotFoundException($"manifest {f} does not exist", f);
            objects.AddRange(YamlDocuments.Parse(text, f));
        }

        return objects;
    }
}
