using System.Net;
using System.Net.Sockets;
using Contiv.Testing;

namespace Contiv.Deploy.Tests;

/// <summary>
/// The OCI archives of scripts/images.sh loaded into a private podman store (a temporary <c>--root</c>, removed at
/// the end), shared by every image test. The images take minutes to build (docs/install.md), so they are built once:
/// only when an archive is missing or older than the sources, scripts/images.sh or deploy/ (or when
/// <c>CONTIV_IMAGES_REBUILD=1</c>). Containers run with <c>--network none</c> (etcd: the host network, on
/// 127.0.0.1 only), so podman never creates a bridge or address in the root network namespace.
/// </summary>
public sealed class PodmanImages : IDisposable
{
    /// <summary>Every image scripts/images.sh builds.</summary>
    public static readonly string[] Components = ["contiv-vswitch", "contiv-ksr", "contiv-crd", "contiv-ui", "contiv-stn", "contiv-etcd"];

    private readonly string _store = Directory.CreateTempSubdirectory("contiv-podman-").FullName;

    public PodmanImages()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        if (Shell.Run("sh", ["-c", "command -v podman"]).ExitCode != 0)
        {
            Problem = "podman is not installed (apt-get install podman; scripts/test.sh installs it)";
            return;
        }

        var archives = Path.Combine(Rendered.RepoRoot, "artifacts", "images");
        if (NeedsBuild(archives, out var why))
        {
            var started = DateTime.UtcNow;
            var build = Shell.Run(Path.Combine(Rendered.RepoRoot, "scripts", "images.sh"), [], timeout: TimeSpan.FromMinutes(20));
            BuildLog = $"scripts/images.sh ({why}) took {(DateTime.UtcNow - started).TotalSeconds:F0} s\n{build.StdOut}";
            if (build.ExitCode != 0)
            {
                Problem = $"scripts/images.sh failed ({build.ExitCode}):\n{build.StdOut}\n{build.StdErr}";
                return;
            }
        }

        foreach (var component in Components)
        {
            var load = Podman("load", "-q", "-i", Path.Combine(archives, component + ".tar"));
            if (load.ExitCode != 0)
            {
                Problem = $"podman load {component}.tar failed: {load.StdOut}{load.StdErr}";
                return;
            }
        }
    }

    /// <summary>Why the images are not usable (null when they are loaded).</summary>
    public string? Problem { get; }

    /// <summary>What the build printed when this run built the images.</summary>
    public string? BuildLog { get; }

    /// <summary>
    /// Explicit open-file and process limits for every container: podman's defaults (1 048 576 files, the host's
    /// process limit) exceed what a sandboxed test host lets runc set, and the container then fails to start.
    /// </summary>
    public static readonly string[] Limits = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"];

    /// <summary>The image reference of a component.</summary>
    public static string Image(string component) => $"localhost/contiv/{component}:0.1.0";

    /// <summary>Runs podman against the private store.</summary>
    public CommandResult Podman(params string[] args) => Shell.Run("podman",
        ["--root", Path.Combine(_store, "root"), "--runroot", Path.Combine(_store, "run"), "--storage-driver", "vfs",
         "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--tmpdir", Path.Combine(_store, "tmp"), .. args],
        timeout: TimeSpan.FromMinutes(3));

    /// <summary>
    /// <c>podman run --rm --network none --pull never</c> with <see cref="Limits"/>, extra options, the image and its arguments.
    /// </summary>
    public CommandResult Run(IEnumerable<string> options, string component, params string[] args)
        => Podman(["run", "--rm", "--network", "none", "--pull", "never", .. Limits, .. options, Image(component), .. args]);

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (Problem is null && Privileges.IsRoot && Directory.Exists(Path.Combine(_store, "root")))
        {
            Podman("rm", "--all", "--force");
            Podman("system", "reset", "--force");
        }

        Directory.Delete(_store, recursive: true);
    }

    private static bool NeedsBuild(string archives, out string why)
    {
        if (Environment.GetEnvironmentVariable("CONTIV_IMAGES_REBUILD") == "1")
        {
            why = "CONTIV_IMAGES_REBUILD=1";
            return true;
        }

        var missing = Components.Where(c => !File.Exists(Path.Combine(archives, c + ".tar"))).ToList();
        if (missing.Count > 0)
        {
            why = "missing: " + string.Join(", ", missing);
            return true;
        }

        var oldest = Components.Min(c => File.GetLastWriteTimeUtc(Path.Combine(archives, c + ".tar")));
        var root = Rendered.RepoRoot;
        var inputs = new[] { Path.Combine(root, "src"), Path.Combine(root, "deploy") }
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/node_modules/", StringComparison.Ordinal))
            .Append(Path.Combine(root, "scripts", "images.sh"));
        var newer = inputs.FirstOrDefault(f => File.GetLastWriteTimeUtc(f) > oldest);
        why = newer is null ? string.Empty : $"{Path.GetRelativePath(root, newer)} is newer than the archives";
        return newer is not null;
    }
}
