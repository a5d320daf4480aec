using System.Diagnostics;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Processes;

/// <summary>
/// Starts lab components as detached background processes: a new session (so a terminal's Ctrl-C
/// does not reach them), stdin from /dev/null, stdout and stderr appended to a log file, and the
/// lab's marker variable in the environment. Daemons run under a <see cref="Supervisor"/>
/// (<c>contiv-lab supervise</c>) that restarts them with back-off when they exit, as kubelet restarts containers;
/// the pid recorded is then the supervisor's (<c>sh</c> execs <c>setsid</c>, which execs it: it leads the process
/// group of itself and the daemon), and the daemon's own pid is in the record's status file.
/// </summary>
public static class DetachedProcess
{
    /// <summary>
    /// Starts <paramref name="file"/> with <paramref name="args"/>; returns its record (not yet saved). <paramref name="killOrphans"/>:
    /// the supervisor kills what the daemon leaves running when it exits (<see cref="Subreaper"/>).
    /// </summary>
    public static LabProcessRecord Start(LabInstance lab, string name, string file, IEnumerable<string> args, string logFile,
        string? node = null, IDictionary<string, string>? environment = null, string? workingDirectory = null, bool supervise = true, bool killOrphans = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        string? statusFile = null;
        if (supervise)
        {
            statusFile = Path.Combine(lab.StateDir, "supervise", name + ".json");
            Directory.CreateDirectory(Path.GetDirectoryName(statusFile)!);
            File.Delete(statusFile);
            string[] supervisor = killOrphans
                ? ["supervise", "--name", name, "--status", statusFile, "--kill-orphans", "--", file]
                : ["supervise", "--name", name, "--status", statusFile, "--", file];
            args = supervisor.Concat(args).ToList();
            file = LabBinaries.Self;
        }

        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory ?? lab.StateDir };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec setsid \"$@\" </dev/null >>\"$CONTIV_LAB_LOG\" 2>&1");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(file);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["CONTIV_LAB_LOG"] = logFile;
        psi.Environment[LabInstance.MarkerVariable] = lab.Name;
        DaemonRuntime.Apply(psi.Environment);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file} for {name}");
        var pid = p.Id;

        // The start time identifies this incarnation of the pid; read it after the exec chain settled.
        long ticks = 0;
        for (var i = 0; i < 100 && ticks == 0; i++)
        {
            ticks = ProcessTable.StartTicks(pid) ?? 0;
            if (ticks == 0)
            {
                Thread.Sleep(5);
            }
        }

        return new LabProcessRecord { Name = name, Pid = pid, StartTicks = ticks, Node = node, LogFile = logFile, StatusFile = statusFile };
    }

    /// <summary>Stops a recorded process: SIGTERM, then SIGKILL after <paramref name="grace"/>. No-op when it is gone.</summary>
    public static async Task StopAsync(LabProcessRecord record, TimeSpan grace)
    {
        if (!ProcessTable.IsAlive(record.Pid, record.StartTicks))
        {
            return;
        }

        ProcessTable.Signal(record.Pid, ProcessTable.SigTerm);
        var left = await ProcessTable.WaitGoneAsync([(record.Pid, record.StartTicks)], grace).ConfigureAwait(false);
        if (left.Count > 0)
        {
            // The whole group: a supervised daemon must not outlive its supervisor.
            if (record.StatusFile is null || !ProcessTable.SignalGroup(record.Pid, ProcessTable.SigKill))
            {
                ProcessTable.Signal(record.Pid, ProcessTable.SigKill);
            }

            await ProcessTable.WaitGoneAsync([(record.Pid, record.StartTicks)], TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    /// <summary>The supervisor's report on the daemon (null for an unsupervised process or before the first report).</summary>
    public static SupervisedStatus? Status(LabProcessRecord record)
        => record?.StatusFile is { } f ? SupervisedStatus.Load(f) : null;

    /// <summary>Pid of the daemon itself (the supervised child, else the recorded process); null when none runs now.</summary>
    public static int? DaemonPid(LabProcessRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.StatusFile is null)
        {
            return ProcessTable.IsAlive(record.Pid, record.StartTicks) ? record.Pid : null;
        }

        return Status(record) is { Pid: > 0 } s && ProcessTable.IsAlive(s.Pid, s.StartTicks) ? s.Pid : null;
    }

    /// <summary>
    /// Why a process that should be starting up is not (its supervisor is gone, or the daemon already exited and is
    /// being restarted); null while it is fine. Lets <c>up</c> fail at the first exit instead of waiting for a timeout.
    /// </summary>
    public static string? ExitedWhileStarting(LabProcessRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!ProcessTable.IsAlive(record.Pid, record.StartTicks))
        {
            return $"pid {record.Pid} exited";
        }

        return Status(record) is { Restarts: > 0 } s ? $"it exited ({s.LastExit}) and is {s.State}" : null;
    }
}
