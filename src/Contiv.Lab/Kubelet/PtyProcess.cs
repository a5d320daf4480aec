using System.Runtime.InteropServices;
using Contiv.Lab.Processes;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// A command on a pseudo-terminal, for <c>kubectl exec -t</c>: a new pty pair (<c>posix_openpt</c>), the command started
/// by <c>posix_spawn</c> in a new session (<c>POSIX_SPAWN_SETSID</c>) with the pty's slave opened as stdin — which makes it
/// the session's controlling terminal, so job control, Ctrl-C and line editing work — and as stdout/stderr. The kubelet
/// keeps the master: what it reads there is the terminal's output (stdout and stderr merged, echo included), what it
/// writes is typed input; <see cref="Resize"/> sets the window size (TIOCSWINSZ, the program gets SIGWINCH).
/// </summary>
internal sealed partial class PtyProcess : IDisposable
{
    private const string Lib = "libc";
    private const int ORdwr = 2;
    private const int ONoctty = 0x100;
    private const int OCloexec = 0x80000;
    private const short PosixSpawnSetsid = 0x80;
    private const nuint Tiocswinsz = 0x5414;
    private const short PollIn = 1;
    private const int Eintr = 4;
    private const int Eagain = 11;

    private int _master;
    private int _exitCode = -1;
    private readonly ManualResetEventSlim _exited = new();

    private PtyProcess(int master, int pid)
    {
        _master = master;
        Pid = pid;
        var waiter = new Thread(Wait) { IsBackground = true, Name = "pty-wait-" + pid };
        waiter.Start();
    }

    /// <summary>The command's process id (the leader of its session and process group).</summary>
    public int Pid { get; }

    /// <summary>True once the command exited (reaped).</summary>
    public bool HasExited => _exited.IsSet;

    /// <summary>The exit code (128 + signal for a killed command); -1 while it runs.</summary>
    public int ExitCode => _exitCode;

    /// <summary>Starts <paramref name="argv"/> (argv[0] an absolute path) on a new pty with the kubelet's environment plus <c>TERM</c>.</summary>
    public static unsafe PtyProcess Start(IReadOnlyList<string> argv, int columns = 80, int rows = 24)
    {
        var master = posix_openpt(ORdwr | ONoctty | OCloexec);
        if (master < 0)
        {
            throw new IOException($"posix_openpt: errno {Marshal.GetLastPInvokeError()}");
        }

        var allocated = new List<nint>();
        var actions = Marshal.AllocHGlobal(512);
        var attr = Marshal.AllocHGlobal(1024);
        try
        {
            var name = stackalloc byte[128];
            if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, 128) != 0)
            {
                throw new IOException($"pty setup: errno {Marshal.GetLastPInvokeError()}");
            }

            var size = new WinSize { Rows = (ushort)rows, Columns = (ushort)columns };
            _ = ioctl(master, Tiocswinsz, &size);

            nint Utf8(string s)
            {
                var p = Marshal.StringToCoTaskMemUTF8(s);
                allocated.Add(p);
                return p;
            }

            var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(e => $"{e.Key}={e.Value}").Where(e => !e.StartsWith("TERM=", StringComparison.Ordinal) && !DaemonRuntime.IsSetting(e)).Append("TERM=xterm").ToList();
            var argvPtrs = argv.Select(Utf8).Append(0).ToArray();
            var envPtrs = env.Select(Utf8).Append(0).ToArray();

            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            try
            {
                // After setsid (applied before the file actions), opening the slave without O_NOCTTY makes it the controlling terminal.
                Check(posix_spawn_file_actions_addopen(actions, 0, (nint)name, ORdwr, 0), "addopen");
                Check(posix_spawn_file_actions_adddup2(actions, 0, 1), "adddup2");
                Check(posix_spawn_file_actions_adddup2(actions, 0, 2), "adddup2");
                Check(posix_spawnattr_setflags(attr, PosixSpawnSetsid), "posix_spawnattr_setflags");
                int pid;
                fixed (nint* a = argvPtrs)
                fixed (nint* e = envPtrs)
                {
                    Check(posix_spawnp(&pid, argvPtrs[0], actions, attr, a, e), "posix_spawnp " + argv[0]);
                }

                return new PtyProcess(master, pid);
            }
            finally
            {
                _ = posix_spawn_file_actions_destroy(actions);
                _ = posix_spawnattr_destroy(attr);
            }
        }
        catch
        {
            _ = close(master);
            throw;
        }
        finally
        {
            Marshal.FreeHGlobal(actions);
            Marshal.FreeHGlobal(attr);
            allocated.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new System.ComponentModel.Win32Exception(error, $"{what}: errno {error}");
        }
    }

    private unsafe void Wait()
    {
        int status;
        int r;
        do
        {
            r = waitpid(Pid, &status, 0);
        }
        while (r < 0 && Marshal.GetLastPInvokeError() == Eintr);

        _exitCode = r < 0 ? 255 : (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        _exited.Set();
    }

    /// <summary>Waits until the command exited.</summary>
    public Task WaitForExitAsync(CancellationToken ct) => Task.Run(() => _exited.Wait(ct), ct);

    /// <summary>
    /// Reads the terminal's output into <paramref name="buffer"/>: the bytes read, or 0 at the end — the slave closed by
    /// everyone (EIO), or the command exited and nothing more came within 100 ms (a background child may keep the slave open).
    /// Blocks the calling thread.
    /// </summary>
    public unsafe int Read(Span<byte> buffer)
    {
        while (true)
        {
            var fd = new PollFd { Fd = _master, Events = PollIn };
            var ready = poll(&fd, 1, 100);
            if (ready < 0 && Marshal.GetLastPInvokeError() == Eintr)
            {
                continue;
            }

            if (ready == 0)
            {
                if (HasExited)
                {
                    return 0;
                }

                continue;
            }

            fixed (byte* p = buffer)
            {
                var n = read(_master, p, (nuint)buffer.Length);
                if (n > 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (n < 0 && (errno == Eintr || errno == Eagain))
                {
                    continue;
                }

                return 0;
            }
        }
    }

    /// <summary>Typed input, written to the master (the line discipline echoes it and hands it to the program).</summary>
    public unsafe void Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = write(_master, p + done, (nuint)(data.Length - done));
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Eintr)
                    {
                        continue;
                    }

                    throw new IOException($"write to the pty: errno {Marshal.GetLastPInvokeError()}");
                }

                done += (int)n;
            }
        }
    }

    /// <summary>The terminal's window size (the program gets SIGWINCH).</summary>
    public unsafe void Resize(int columns, int rows)
    {
        var size = new WinSize { Rows = (ushort)rows, Columns = (ushort)columns };
        _ = ioctl(_master, Tiocswinsz, &size);
    }

    /// <summary>Kills the command's process group.</summary>
    public void Kill()
    {
        if (!HasExited)
        {
            _ = kill(-Pid, 9);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _master, -1);
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport(Lib, SetLastError = true)]
    private static partial int posix_openpt(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    private static partial int grantpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    private static partial int unlockpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    private static unsafe partial int ptsname_r(int fd, byte* buffer, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    private static unsafe partial int ioctl(int fd, nuint request, WinSize* size);

    [LibraryImport(Lib)]
    private static partial int posix_spawn_file_actions_init(nint actions);

    [LibraryImport(Lib)]
    private static partial int posix_spawn_file_actions_destroy(nint actions);

    [LibraryImport(Lib)]
    private static partial int posix_spawn_file_actions_addopen(nint actions, int fd, nint path, int flags, uint mode);

    [LibraryImport(Lib)]
    private static partial int posix_spawn_file_actions_adddup2(nint actions, int fd, int newFd);

    [LibraryImport(Lib)]
    private static partial int posix_spawnattr_init(nint attr);

    [LibraryImport(Lib)]
    private static partial int posix_spawnattr_destroy(nint attr);

    [LibraryImport(Lib)]
    private static partial int posix_spawnattr_setflags(nint attr, short flags);

    [LibraryImport(Lib)]
    private static unsafe partial int posix_spawnp(int* pid, nint path, nint actions, nint attr, nint* argv, nint* envp);

    [LibraryImport(Lib, SetLastError = true)]
    private static unsafe partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, SetLastError = true)]
    private static unsafe partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
