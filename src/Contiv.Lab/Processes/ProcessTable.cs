using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Contiv.Lab.Processes;

/// <summary>
/// Reads the kernel's process table (<c>/proc</c>) and sends signals. Used to find every process of a
/// lab (by its marker variable or by the network namespace it runs in) and to stop it, including
/// processes whose parent already died.
/// </summary>
public static partial class ProcessTable
{
    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;

    /// <summary>Ids of all processes (threads excluded).</summary>
    public static IReadOnlyList<int> AllPids()
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                pids.Add(pid);
            }
        }

        return pids;
    }

    /// <summary>Kernel start time of a process in clock ticks since boot, or null when it is gone.</summary>
    public static long? StartTicks(int pid)
    {
        var stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        // Fields after the command (which may contain spaces and parentheses) start at field 3.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
    }

    /// <summary>Process state letter (R, S, D, Z, …), or null when the process is gone.</summary>
    public static char? State(int pid)
    {
        var stat = ReadStat(pid);
        return stat is null ? null : stat[stat.LastIndexOf(')') + 2];
    }

    /// <summary>Parent process id, or null when the process is gone.</summary>
    public static int? ParentPid(int pid)
    {
        var stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    /// <summary>True when <paramref name="pid"/> exists (zombies included) and, if given, started at <paramref name="startTicks"/>.</summary>
    public static bool Exists(int pid, long? startTicks = null)
    {
        var t = StartTicks(pid);
        return t is not null && (startTicks is null || startTicks == 0 || t == startTicks);
    }

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid, long? startTicks = null) => Exists(pid, startTicks) && State(pid) is not 'Z' and not null;

    /// <summary>The process's command line (arguments joined by spaces), or "" when unreadable.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').TrimEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>True when the process's initial environment holds <paramref name="variable"/>=<paramref name="value"/>.</summary>
    public static bool HasEnvironment(int pid, string variable, string value)
    {
        byte[] env;
        try
        {
            env = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        var needle = Encoding.UTF8.GetBytes(variable + "=" + value);
        var span = env.AsSpan();
        while (!span.IsEmpty)
        {
            var end = span.IndexOf((byte)0);
            var entry = end < 0 ? span : span[..end];
            if (entry.SequenceEqual(needle))
            {
                return true;
            }

            if (end < 0)
            {
                break;
            }

            span = span[(end + 1)..];
        }

        return false;
    }

    /// <summary>The network namespace inode of a process (from <c>/proc/PID/ns/net</c> → <c>net:[N]</c>), or null.</summary>
    public static ulong? NetnsInode(int pid)
    {
        try
        {
            var target = new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
            if (target is not null && target.StartsWith("net:[", StringComparison.Ordinal)
                && ulong.TryParse(target.AsSpan(5, target.Length - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                return inode;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Sends a signal; false when the process does not exist (ESRCH).</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>Sends a signal to a whole process group.</summary>
    public static bool SignalGroup(int pgid, int signal) => kill(-pgid, signal) == 0;

    /// <summary>Waits until none of the processes exists any more (zombies count as existing); returns those left.</summary>
    public static async Task<IReadOnlyList<int>> WaitGoneAsync(IEnumerable<(int Pid, long StartTicks)> processes, TimeSpan timeout, bool zombiesCount = false)
    {
        var left = processes.ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            left = left.Where(p => zombiesCount ? Exists(p.Pid, p.StartTicks) : IsAlive(p.Pid, p.StartTicks)).ToList();
            if (left.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return left.Select(p => p.Pid).ToList();
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Pid of the calling process and of all its ancestors (never signalled by a sweep).</summary>
    public static HashSet<int> SelfAndAncestors()
    {
        var set = new HashSet<int>();
        int? pid = Environment.ProcessId;
        while (pid is > 0 && set.Add(pid.Value))
        {
            pid = ParentPid(pid.Value);
        }

        return set;
    }

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
