using Contiv.Linux.Interop;

namespace Contiv.Linux;

/// <summary>
/// Sends SIGTERM to a process: .NET's <c>Process.Kill</c> only sends SIGKILL, and a supervisor (contiv-init)
/// must let a daemon shut down cleanly first.
/// </summary>
public static class ProcessSignals
{
    /// <summary>Sends SIGTERM to <paramref name="pid"/>; false when the process no longer exists (ESRCH).</summary>
    /// <exception cref="IOException">The signal could not be sent for another reason (names the pid and the errno).</exception>
    public static bool Terminate(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        if (Libc.Kill(pid, Libc.SIGTERM) == 0)
        {
            return true;
        }

        var errno = Libc.LastErrno;
        const int ESRCH = 3;
        return errno == ESRCH ? false : throw new IOException($"kill -TERM {pid}: {Errno.Text(errno)} ({Errno.Name(errno)})");
    }
}
