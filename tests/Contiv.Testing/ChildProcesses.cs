using System.Collections.Concurrent;
using System.Diagnostics;

namespace Contiv.Testing;

/// <summary>
/// Starts daemons for tests (contiv-vpp, contiv-agent, API servers …) so that they die with the test
/// host even when it is killed without cleaning up (CI's hang timeout, a SIGKILL): each is executed
/// through <c>setpriv --pdeathsig KILL --</c>, which sets PR_SET_PDEATHSIG and then execs the program
/// itself (same pid, so <see cref="Process.Id"/>, signals and exit codes are the program's). The
/// kernel sends the signal when the <em>thread</em> that forked the child exits, so every child is
/// forked from one dedicated thread that lives as long as the test host, never from a pool thread.
/// </summary>
public static class ChildProcesses
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = [];

    static ChildProcesses()
    {
        var spawner = new Thread(Spawn) { IsBackground = true, Name = "test child-process spawner" };
        spawner.Start();
    }

    /// <summary>
    /// Starts <paramref name="psi"/> (which must use <see cref="ProcessStartInfo.ArgumentList"/>, not
    /// <see cref="ProcessStartInfo.Arguments"/>) tied to the life of this process.
    /// </summary>
    public static Process Start(ProcessStartInfo psi)
    {
        ArgumentNullException.ThrowIfNull(psi);
        if (!string.IsNullOrEmpty(psi.Arguments))
        {
            throw new ArgumentException("use ArgumentList, not Arguments", nameof(psi));
        }

        var wrapped = new ProcessStartInfo("setpriv")
        {
            UseShellExecute = false,
            RedirectStandardInput = psi.RedirectStandardInput,
            RedirectStandardOutput = psi.RedirectStandardOutput,
            RedirectStandardError = psi.RedirectStandardError,
            WorkingDirectory = psi.WorkingDirectory,
        };
        foreach (var a in new[] { "--pdeathsig", "KILL", "--", psi.FileName }.Concat(psi.ArgumentList))
        {
            wrapped.ArgumentList.Add(a);
        }

        wrapped.Environment.Clear();
        foreach (var (k, v) in psi.Environment)
        {
            wrapped.Environment[k] = v;
        }

        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((wrapped, started));
        var process = started.Task.GetAwaiter().GetResult();
        WaitForExec(process);
        return process;
    }

    // Returns once setpriv has exec'd the program (or the process ended), so that what the caller
    // sees under /proc and the signals it sends reach the program, not the wrapper.
    private static void WaitForExec(Process process)
    {
        var deadline = Environment.TickCount64 + 5000;
        while (Environment.TickCount64 < deadline && !process.HasExited)
        {
            try
            {
                if (File.ReadAllText($"/proc/{process.Id}/comm").Trim() != "setpriv")
                {
                    return;
                }
            }
            catch (IOException)
            {
                return; // gone already
            }

            Thread.Sleep(1);
        }
    }

    private static void Spawn()
    {
        foreach (var (info, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"cannot start {info.ArgumentList[3]}"));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
