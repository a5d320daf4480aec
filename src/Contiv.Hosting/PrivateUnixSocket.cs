namespace Contiv.Hosting;

/// <summary>
/// Publishes a unix socket that only its owner can use (mode 0600) without a moment in which it is
/// reachable with looser permissions: the listener binds inside a fresh 0700 staging directory next
/// to the final path, the socket file gets mode 0600 there, and a rename moves it into place (atomic,
/// also replacing a stale socket file). Used where the listener is created by a framework (Kestrel)
/// that binds and listens in one step, and by the data plane's CLI socket. With a group
/// (<see cref="Prepare(string, string?)"/>), the socket is given to that group and gets mode 0660 instead, still
/// before it appears at its path, so that members of the group (e.g. a monitoring agent) may connect.
/// </summary>
public sealed class PrivateUnixSocket
{
    /// <summary>Owner read/write: the mode every socket of the project gets.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner and group read/write: the mode of a socket shared with a group.</summary>
    public const UnixFileMode GroupMode = Mode | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private readonly uint? _gid;

    private PrivateUnixSocket(string path, string stagingDirectory, uint? gid)
    {
        _gid = gid;
        Path = path;
        StagingDirectory = stagingDirectory;
        StagingPath = System.IO.Path.Combine(stagingDirectory, System.IO.Path.GetFileName(path));
    }

    /// <summary>Where clients find the socket.</summary>
    public string Path { get; }

    /// <summary>The 0700 directory the listener binds in.</summary>
    public string StagingDirectory { get; }

    /// <summary>Where the listener binds (inside <see cref="StagingDirectory"/>).</summary>
    public string StagingPath { get; }

    /// <summary>Creates the parent and the staging directory (mode 0700) for <paramref name="path"/>.</summary>
    /// <param name="path">Final socket path.</param>
    /// <param name="group">Group (name or gid) that may use the socket too (mode 0660); null or empty = owner only (0600).</param>
    /// <exception cref="ArgumentException">The group does not exist.</exception>
    public static PrivateUnixSocket Prepare(string path, string? group = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("unix socket modes need Linux");
        }

        uint? gid = string.IsNullOrEmpty(group) ? null : Contiv.Linux.Files.UnixGroup.Resolve(group);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var staging = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.staging");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new PrivateUnixSocket(full, staging, gid);
    }

    /// <summary>Sets mode 0600 (0660 and the group, with a group) on the bound socket and renames it to <see cref="Path"/>; removes the staging directory.</summary>
    /// <exception cref="IOException">The listener did not bind at <see cref="StagingPath"/>.</exception>
    public void Publish()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("unix socket modes need Linux");
        }

        if (!File.Exists(StagingPath))
        {
            throw new IOException($"unix socket {StagingPath} (to be published as {Path}) does not exist: the listener did not bind there");
        }

        if (_gid is { } gid)
        {
            Contiv.Linux.Files.UnixGroup.SetGroup(StagingPath, gid);
            File.SetUnixFileMode(StagingPath, GroupMode);
        }
        else
        {
            File.SetUnixFileMode(StagingPath, Mode);
        }

        File.Move(StagingPath, Path, overwrite: true);
        Directory.Delete(StagingDirectory);
    }
}
