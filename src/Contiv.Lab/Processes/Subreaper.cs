using System.Runtime.InteropServices;

namespace Contiv.Lab.Processes;

/// <summary>
/// Makes the supervisor the "child subreaper" of its daemon's process tree (<c>PR_SET_CHILD_SUBREAPER</c>): a
/// daemon that runs children of its own (contiv-init runs contiv-vpp and contiv-agent) and dies without stopping
/// them leaves them to the supervisor instead of to init, and the supervisor kills them before it starts the daemon
/// again — as a container's processes all go when its main process dies. Without it a <c>kill -9</c> of contiv-init
/// would leave its data plane and agent running next to the ones the restarted contiv-init starts.
/// </summary>
internal static partial class Subreaper
{
    private const int PR_SET_CHILD_SUBREAPER = 36;
    private const int WNOHANG = 1;

    /// <summary>Becomes the subreaper of every descendant; false when the kernel refuses.</summary>
    public static bool Become() => prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;

    /// <summary>
    /// SIGKILLs every process that is a child of this process now (after the daemon exited: orphans of its tree),
    /// then the children those had (re-parented here as they die), and reaps them; returns how many it killed.
    /// </summary>
    public static async Task<int> KillOrphansAsync(TimeSpan timeout)
    {
        var self = Environment.ProcessId;
        var killed = new HashSet<int>();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var children = ChildrenOf(self);
            if (children.Count == 0)
            {
                break;
            }

            foreach (var pid in children)
            {
                if (ProcessTable.State(pid) != 'Z' && ProcessTable.Signal(pid, ProcessTable.SigKill))
                {
                    killed.Add(pid);
                }

                // Zombies of orphans are ours to reap (the runtime reaps only the processes it started).
                _ = waitpid(pid, out _, WNOHANG);
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        return killed.Count;
    }

    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var pid in ProcessTable.AllPids())
        {
            if (ProcessTable.ParentPid(pid) == parent)
            {
                children.Add(pid);
            }
        }

        return children;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, out int status, int options);
}
