namespace Contiv.Lab.Lab;

/// <summary>
/// Where the lab finds the project's executables (<c>contiv-vpp</c>, <c>contiv-agent</c>,
/// <c>contiv-cni</c>, <c>contiv-apiserver</c>, <c>contiv-ksr</c>) and the system tools it runs.
/// </summary>
public sealed class LabBinaries
{
    /// <summary>Environment variable overriding the directory of the project's executables.</summary>
    public const string BinDirVariable = "CONTIV_BIN_DIR";

    /// <summary>Debian's etcd (override with <c>CONTIV_ETCD</c>).</summary>
    public static string Etcd => Environment.GetEnvironmentVariable("CONTIV_ETCD") is { Length: > 0 } p ? p : "/usr/bin/etcd";

    /// <summary>util-linux nsenter, used to start pod workloads and CNI plugins inside a namespace.</summary>
    public const string Nsenter = "/usr/bin/nsenter";

    /// <summary>util-linux unshare (a container's private mount namespace for its resolv.conf).</summary>
    public const string Unshare = "/usr/bin/unshare";

    /// <summary>Directory of the CNI reference plugins (Debian's containernetworking-plugins).</summary>
    public const string SystemCniDir = "/usr/lib/cni";

    private LabBinaries(string dir) => Dir = dir;

    /// <summary>Directory holding the project's executables.</summary>
    public string Dir { get; }

    /// <summary>Full path of one of the project's executables; fails naming the directory searched.</summary>
    public string Path(string name)
    {
        var path = System.IO.Path.Combine(Dir, name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{name} not found in {Dir}; build with scripts/build.sh (or set {BinDirVariable})", path);
    }

    /// <summary>True when the executable exists.</summary>
    public bool Has(string name) => File.Exists(System.IO.Path.Combine(Dir, name));

    /// <summary>
    /// <c>$CONTIV_BIN_DIR</c>, else the directory of the running <c>contiv-lab</c> when it holds the
    /// other executables (the published layout, <c>artifacts/bin</c>), else <c>artifacts/bin</c> of
    /// the repository above the current directory.
    /// </summary>
    public static LabBinaries Locate()
    {
        if (Environment.GetEnvironmentVariable(BinDirVariable) is { Length: > 0 } env)
        {
            return new LabBinaries(System.IO.Path.GetFullPath(env));
        }

        var self = System.IO.Path.GetDirectoryName(Environment.ProcessPath) ?? AppContext.BaseDirectory;
        if (File.Exists(System.IO.Path.Combine(self, "contiv-apiserver")))
        {
            return new LabBinaries(self);
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "artifacts", "bin");
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Contiv.sln")) && Directory.Exists(candidate))
            {
                return new LabBinaries(candidate);
            }
        }

        return new LabBinaries(self);
    }

    /// <summary>
    /// The "image" of pods whose container runs the lab's own binary (the cluster DNS): no container image exists for it,
    /// so a kubelet with a CRI runtime runs such a pod with the process runner.
    /// </summary>
    public const string Image = "contiv-lab";

    /// <summary>The command that runs <c>contiv-lab</c> itself (for its kubelet and scheduler subprocesses).</summary>
    public static string Self => Environment.ProcessPath ?? throw new InvalidOperationException("cannot determine the path of contiv-lab");
}
