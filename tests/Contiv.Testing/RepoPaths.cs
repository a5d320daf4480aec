namespace Contiv.Testing;

/// <summary>Locates the repository and the published executables (<c>artifacts/bin</c>).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root (the directory holding <c>Contiv.sln</c>).</summary>
    public static string Root => RootLazy.Value;

    /// <summary>Directory that <c>scripts/build.sh</c> publishes every executable into.</summary>
    public static string BinDir => Path.Combine(Root, "artifacts", "bin");

    /// <summary>Full path of a published executable such as <c>contiv-vpp</c>; fails clearly when it was not built.</summary>
    public static string Executable(string name)
    {
        var path = Path.Combine(BinDir, name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"executable {name} not found at {path}; run scripts/build.sh first", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Contiv.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Contiv.sln not found above {AppContext.BaseDirectory}");
    }
}
