using System.Globalization;
using System.Runtime.ExceptionServices;
using Contiv.Linux.Interop;
using Microsoft.Win32.SafeHandles;

namespace Contiv.Linux;

/// <summary>
/// An open handle to a Linux network namespace (a file descriptor on an nsfs file), plus the means
/// to run code inside it. Named namespaces live in <c>/run/netns/&lt;name&gt;</c> exactly as
/// <c>ip netns</c> keeps them, so <c>ip netns list</c> and <c>ip -n &lt;name&gt;</c> see the ones created
/// here and vice versa.
/// <para>
/// Code runs inside a namespace only on a dedicated OS thread that this type creates, enters with
/// <c>setns</c> and then discards (<see cref="Run{T}(Func{T})"/>) or keeps for many operations
/// (<see cref="StartThread"/>). Thread-pool threads never change namespace.
/// </para>
/// Disposing closes the handle; it does not delete a named namespace (see <see cref="Delete"/>).
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    /// <summary>Directory where named namespaces are bind-mounted (<c>ip netns</c> uses the same).</summary>
    public const string RunDirectory = "/run/netns";

    private NetworkNamespace(SafeFileHandle handle, string path, string? name)
    {
        Handle = handle;
        Path = path;
        Name = name;
    }

    /// <summary>The name under <see cref="RunDirectory"/>, or null when opened by another path.</summary>
    public string? Name { get; }

    /// <summary>The path this namespace was opened from (e.g. <c>/run/netns/pod-x</c>, <c>/proc/42/ns/net</c>).</summary>
    public string Path { get; }

    /// <summary>Name for messages: the namespace name when it has one, otherwise its path.</summary>
    public string DisplayName => Name ?? Path;

    /// <summary>The namespace file descriptor (owned by this object; valid until disposed).</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>The raw descriptor number of <see cref="Handle"/>, e.g. for IFLA_NET_NS_FD.</summary>
    public int Fd => (int)Handle.DangerousGetHandle();

    /// <summary>
    /// The namespace's inode number (as in <c>net:[4026532281]</c>); two handles refer to the same
    /// namespace exactly when their ids are equal.
    /// </summary>
    public unsafe ulong Id
    {
        get
        {
            // struct stat on 64-bit Linux: st_dev (8 bytes) then st_ino (8 bytes). 256 bytes covers the struct.
            var buffer = stackalloc ulong[32];
            return Libc.FStat(Fd, buffer) == 0
                ? buffer[1]
                : throw new NetlinkException("netns stat", DisplayName, null, Libc.LastErrno);
        }
    }

    /// <summary>
    /// The device and inode of the namespace file: equal for two handles exactly when they refer to the
    /// same namespace (the comparison <c>ip netns identify</c> makes, with the device included).
    /// </summary>
    public unsafe (ulong Device, ulong Inode) Identity
    {
        get
        {
            var buffer = stackalloc ulong[32];
            return Libc.FStat(Fd, buffer) == 0
                ? (buffer[0], buffer[1])
                : throw new NetlinkException("netns stat", DisplayName, null, Libc.LastErrno);
        }
    }

    /// <summary>
    /// True when the opened file really is a network namespace: the kernel answers
    /// <c>NS_GET_NSTYPE</c> with <c>CLONE_NEWNET</c> only for nsfs files of network namespaces (any
    /// other file fails with ENOTTY, another namespace kind answers its own type).
    /// </summary>
    public bool IsNetworkNamespace
    {
        get
        {
            const nuint NsGetNsType = 0xb703; // _IO(0xb7, 0x3)
            const int CloneNewNet = 0x40000000;
            return Libc.Ioctl(Fd, NsGetNsType, 0) == CloneNewNet;
        }
    }

    /// <summary>
    /// Creates a named namespace like <c>ip netns add &lt;name&gt;</c>: a fresh network namespace
    /// bind-mounted onto <c>/run/netns/&lt;name&gt;</c>, and returns a handle to it.
    /// </summary>
    /// <exception cref="NetlinkException">The name is taken (<see cref="NetlinkException.IsAlreadyExists"/>) or the kernel refused.</exception>
    public static NetworkNamespace Create(string name)
    {
        ValidateName(name);
        EnsureRunDirectory();
        var path = NamedPath(name);
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NetlinkException("netns add", name, null, Libc.LastErrno);
        }

        _ = Libc.Close(fd);
        try
        {
            RunOnNewThread<object?>(null, () =>
            {
                // unshare(CLONE_NEWNET) moves only this thread; the bind mount keeps the new
                // namespace alive after the thread exits. /proc/self would name the main thread.
                if (Libc.Unshare(Libc.CLONE_NEWNET) != 0)
                {
                    throw new NetlinkException("netns add (unshare)", name, null, Libc.LastErrno);
                }

                if (Libc.Mount("/proc/thread-self/ns/net", path, "none", Libc.MS_BIND, 0) != 0)
                {
                    throw new NetlinkException("netns add (bind mount)", name, null, Libc.LastErrno);
                }

                return null;
            }, $"netns add {name}");
        }
        catch
        {
            _ = Libc.Unlink(path);
            throw;
        }

        return Open(name);
    }

    /// <summary>
    /// Opens a namespace by name (a plain name means <c>/run/netns/&lt;name&gt;</c>) or by path
    /// (anything containing <c>/</c>: <c>/proc/&lt;pid&gt;/ns/net</c>, <c>/var/run/netns/x</c>, CNI_NETNS).
    /// </summary>
    /// <exception cref="NetlinkException">It does not exist (<see cref="NetlinkException.IsNotFound"/>) or cannot be opened.</exception>
    public static NetworkNamespace Open(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        string path;
        string? name;
        if (nameOrPath.Contains('/', StringComparison.Ordinal))
        {
            path = nameOrPath;
            var dir = System.IO.Path.GetDirectoryName(nameOrPath);
            name = dir is RunDirectory or "/var/run/netns" ? System.IO.Path.GetFileName(nameOrPath) : null;
        }
        else
        {
            ValidateName(nameOrPath);
            path = NamedPath(nameOrPath);
            name = nameOrPath;
        }

        // O_NONBLOCK: a path that turns out to be a FIFO (CNI_NETNS comes from outside) must not hang the opener.
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0);
        if (fd < 0)
        {
            throw new NetlinkException("netns open", path, null, Libc.LastErrno);
        }

        return new NetworkNamespace(new SafeFileHandle(fd, ownsHandle: true), path, name);
    }

    /// <summary>Opens the network namespace of a process (<c>/proc/&lt;pid&gt;/ns/net</c>).</summary>
    public static NetworkNamespace OpenProcess(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        return Open($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/net");
    }

    /// <summary>Opens the network namespace of the calling thread (<c>/proc/thread-self/ns/net</c>).</summary>
    public static NetworkNamespace OpenCurrent()
    {
        var fd = Libc.Open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NetlinkException("netns open", "/proc/thread-self/ns/net", null, Libc.LastErrno);
        }

        return new NetworkNamespace(new SafeFileHandle(fd, ownsHandle: true), "/proc/thread-self/ns/net", null);
    }

    /// <summary>
    /// Deletes a named namespace like <c>ip netns del</c>: detaches the bind mount and removes the
    /// file. The namespace itself disappears once no process, thread or open handle uses it.
    /// </summary>
    /// <exception cref="NetlinkException">No such namespace (<see cref="NetlinkException.IsNotFound"/>).</exception>
    public static void Delete(string name)
    {
        ValidateName(name);
        var path = NamedPath(name);
        if (!File.Exists(path))
        {
            throw new NetlinkException("netns del", name, null, Errno.ENOENT);
        }

        // EINVAL: not a mount point any more (half-deleted); the unlink below still cleans up.
        if (Libc.Umount2(path, Libc.MNT_DETACH) != 0 && Libc.LastErrno != Errno.EINVAL)
        {
            throw new NetlinkException("netns del (umount)", name, null, Libc.LastErrno);
        }

        if (Libc.Unlink(path) != 0)
        {
            throw new NetlinkException("netns del (unlink)", name, null, Libc.LastErrno);
        }
    }

    /// <summary>True when a named namespace exists under <see cref="RunDirectory"/>.</summary>
    public static bool Exists(string name)
    {
        ValidateName(name);
        return File.Exists(NamedPath(name));
    }

    /// <summary>Names of the namespaces under <see cref="RunDirectory"/>, sorted.</summary>
    public static IReadOnlyList<string> List()
    {
        if (!Directory.Exists(RunDirectory))
        {
            return [];
        }

        var names = Directory.GetFiles(RunDirectory).Select(System.IO.Path.GetFileName).OfType<string>().ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a new dedicated OS thread that has entered this namespace,
    /// waits for it, and returns its result or rethrows its exception (original stack preserved).
    /// Sockets, TAP devices and /proc/sys/net files opened by the action belong to this namespace.
    /// The action must not start threads or tasks: a thread created from inside inherits the namespace.
    /// </summary>
    public T Run<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunOnNewThread(this, action, $"netns {DisplayName}");
    }

    /// <summary>Runs <paramref name="action"/> inside this namespace on a new dedicated OS thread; see <see cref="Run{T}(Func{T})"/>.</summary>
    public void Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _ = RunOnNewThread<object?>(this, () =>
        {
            action();
            return null;
        }, $"netns {DisplayName}");
    }

    /// <summary>
    /// Runs <paramref name="action"/> inside this namespace on a new dedicated OS thread without
    /// blocking the caller; the task completes with its result or exception.
    /// </summary>
    public Task<T> RunAsync<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            T result = default!;
            Exception? error = null;
            try
            {
                using var home = OpenCurrent();
                try
                {
                    Enter();
                    result = action();
                }
                catch (Exception e)
                {
                    error = e;
                }

                // Back home before completing the task: completion queues continuations, and a
                // thread-pool worker the runtime creates from this thread would inherit the namespace.
                home.Enter();
            }
            catch (Exception e)
            {
                error ??= e;
            }

            if (error is null)
            {
                tcs.SetResult(result);
            }
            else
            {
                tcs.SetException(error);
            }
        })
        {
            IsBackground = true,
            Name = $"netns {DisplayName}",
        };
        thread.Start();
        return tcs.Task;
    }

    /// <summary>Runs <paramref name="action"/> inside this namespace without blocking the caller.</summary>
    public Task RunAsync(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync<object?>(() =>
        {
            action();
            return null;
        });
    }

    /// <summary>
    /// Starts a long-lived OS thread inside this namespace that runs queued operations one after
    /// another (batching many operations without a thread per call). Dispose it to stop the thread.
    /// </summary>
    /// <exception cref="NetlinkException">The thread could not enter the namespace.</exception>
    public NamespaceThread StartThread(string? threadName = null) => new(this, threadName ?? $"netns {DisplayName}");

    /// <summary>Closes the namespace handle (a named namespace stays; see <see cref="Delete"/>).</summary>
    public void Dispose() => Handle.Dispose();

    /// <inheritdoc />
    public override string ToString() => DisplayName;

    /// <summary>Moves the calling thread into this namespace. Only for threads this library owns.</summary>
    internal void Enter()
    {
        var added = false;
        Handle.DangerousAddRef(ref added);
        try
        {
            if (Libc.SetNs((int)Handle.DangerousGetHandle(), Libc.CLONE_NEWNET) != 0)
            {
                throw new NetlinkException("netns enter", DisplayName, null, Libc.LastErrno);
            }
        }
        finally
        {
            if (added)
            {
                Handle.DangerousRelease();
            }
        }
    }

    private static T RunOnNewThread<T>(NetworkNamespace? ns, Func<T> action, string threadName)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                ns?.Enter();
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = threadName,
        };

        // The thread exits after the action, so the namespace it entered dies with it.
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    private static string NamedPath(string name) => RunDirectory + "/" + name;

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or ".." || name.Length > 255)
        {
            throw new ArgumentException($"invalid network namespace name '{name}'", nameof(name));
        }
    }

    private static void EnsureRunDirectory()
    {
        _ = Directory.CreateDirectory(RunDirectory);

        // Like iproute2: make /run/netns a shared mount point so mounts under it propagate to
        // other mount namespaces; when it is not a mount point yet, bind it onto itself first.
        if (Libc.Mount(string.Empty, RunDirectory, "none", Libc.MS_SHARED | Libc.MS_REC, 0) == 0)
        {
            return;
        }

        var errno = Libc.LastErrno;
        if (errno != Errno.EINVAL)
        {
            throw new NetlinkException("netns add (make /run/netns shared)", RunDirectory, null, errno);
        }

        if (Libc.Mount(RunDirectory, RunDirectory, "none", Libc.MS_BIND | Libc.MS_REC, 0) != 0)
        {
            throw new NetlinkException("netns add (bind /run/netns)", RunDirectory, null, Libc.LastErrno);
        }

        if (Libc.Mount(string.Empty, RunDirectory, "none", Libc.MS_SHARED | Libc.MS_REC, 0) != 0)
        {
            throw new NetlinkException("netns add (make /run/netns shared)", RunDirectory, null, Libc.LastErrno);
        }
    }
}
