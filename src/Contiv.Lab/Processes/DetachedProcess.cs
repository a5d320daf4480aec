using System.Diagnostics;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Processes;

/// <summary>
/// Starts lab components as detached background processes: a new session (so a terminal's Ctrl-C
/// does not reach them), stdin from /dev/null, stdout and stderr appended to a log file, and the
/// lab's marker variable in the environment. The pid returned is the component's own pid
/// (<c>sh</c> execs <c>setsid</c>, which execs the component), so it can be recorded and signalled.
/// </summary>
public static class DetachedProcess
{
    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>; returns its record (not yet saved).</summary>
    public static LabProcessRecord Start(LabInstance lab, string name, string file, IEnumerable<string> args, string logFile,
        string? node = null, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
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

        return new LabProcessRecord { Name = name, Pid = pid, StartTicks = ticks, Node = node, LogFile = logFile };
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
            ProcessTable.Signal(record.Pid, ProcessTable.SigKill);
            await ProcessTable.WaitGoneAsync([(record.Pid, record.StartTicks)], TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }
}
