using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Contiv.Lab.Processes;

/// <summary>
/// Keeps one lab daemon running the way kubelet keeps a container running (<c>restartPolicy: Always</c>): it starts
/// the daemon as its child (same session, so the lab's stop signals the whole group; same stdout/stderr, so the log
/// continues), restarts it with <see cref="RestartBackOff"/> whenever it exits, and reports each state in a
/// <see cref="SupervisedStatus"/> file. SIGTERM/SIGINT stop it: the signal is passed on to the daemon and the
/// supervisor exits when the daemon did. With <c>killOrphans</c> (<c>--kill-orphans</c>, for a daemon that runs its own
/// children: contiv-init) it is the <see cref="Subreaper"/> of the daemon's tree and kills whatever the daemon left
/// running when it exited before starting it again. Not for the kubelet or a container runtime, whose workloads must
/// outlive their restart.
/// </summary>
/// <param name="name">Component name (for the status and the log).</param>
/// <param name="statusFile">Where the status is written.</param>
/// <param name="file">The daemon's executable.</param>
/// <param name="args">Its arguments.</param>
/// <param name="backOff">Restart delays.</param>
/// <param name="killOrphans">Kill what the daemon leaves running when it exits (the supervisor must be the subreaper).</param>
internal sealed class Supervisor(string name, string statusFile, string file, IReadOnlyList<string> args, RestartBackOff backOff, bool killOrphans = false)
{
    private readonly SupervisedStatus _status = new() { Name = name };

    /// <summary>Runs until <paramref name="stop"/> is cancelled and the daemon has exited; returns the daemon's last exit code.</summary>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        while (true)
        {
            using var child = Start();
            if (child is null)
            {
                // The executable cannot be started at all: a crash loop too, not a reason to give up.
                if (!await BackOffAsync(TimeSpan.Zero, $"cannot start {file}", stop).ConfigureAwait(false))
                {
                    return 1;
                }

                continue;
            }

            var started = DateTimeOffset.UtcNow;
            try
            {
                await child.WaitForExitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return await StopAsync(child).ConfigureAwait(false);
            }

            await KillOrphansAsync().ConfigureAwait(false);
            var ran = DateTimeOffset.UtcNow - started;
            if (!await BackOffAsync(ran, $"{Describe(child.ExitCode)} after {ran.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s", stop).ConfigureAwait(false))
            {
                return child.ExitCode;
            }
        }
    }

    /// <summary>"exit code N", or "signal N (NAME)" for a daemon killed by a signal (.NET reports 128 + the signal).</summary>
    public static string Describe(int exitCode)
    {
        if (exitCode <= 128 || exitCode > 128 + 64)
        {
            return $"exit code {exitCode}";
        }

        var signal = exitCode - 128;
        var known = signal switch { 2 => " (INT)", 6 => " (ABRT)", 9 => " (KILL)", 11 => " (SEGV)", 15 => " (TERM)", _ => string.Empty };
        return $"signal {signal}{known}";
    }

    private Process? Start()
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process? child;
        try
        {
            child = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Log($"cannot start {file}: {e.Message}");
            return null;
        }

        if (child is null)
        {
            return null;
        }

        _status.State = SupervisedStatus.Running;
        _status.Pid = child.Id;
        _status.StartTicks = ProcessTable.StartTicks(child.Id) ?? 0;
        _status.StartedAt = DateTimeOffset.UtcNow;
        _status.NextStartAt = null;
        Save();
        if (_status.Restarts > 0)
        {
            Log($"restarted {name} (restart #{_status.Restarts}, pid {child.Id})");
        }

        return child;
    }

    private async Task<bool> BackOffAsync(TimeSpan ran, string exit, CancellationToken stop)
    {
        var delay = backOff.NextDelay(ran);
        _status.Restarts++;
        _status.Pid = 0;
        _status.StartTicks = 0;
        _status.LastExit = exit;
        _status.LastExitAt = DateTimeOffset.UtcNow;
        _status.State = backOff.CrashLooping ? SupervisedStatus.CrashLoopBackOff : SupervisedStatus.Restarting;
        _status.NextStartAt = DateTimeOffset.UtcNow + delay;
        Save();
        Log($"{name} exited ({exit}); {_status.State}: restart #{_status.Restarts} in {delay.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s");
        try
        {
            await Task.Delay(delay, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            _status.State = SupervisedStatus.Stopped;
            _status.NextStartAt = null;
            Save();
            return false;
        }
    }

    private async Task<int> StopAsync(Process child)
    {
        if (!child.HasExited)
        {
            ProcessTable.Signal(child.Id, ProcessTable.SigTerm);
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await KillOrphansAsync().ConfigureAwait(false);
        _status.State = SupervisedStatus.Stopped;
        _status.Pid = 0;
        _status.StartTicks = 0;
        _status.LastExit = Describe(child.ExitCode) + " (stopped)";
        _status.LastExitAt = DateTimeOffset.UtcNow;
        Save();
        return child.ExitCode;
    }

    // What the daemon left running when it exited (its own children, re-parented to this subreaper) goes too.
    private async Task KillOrphansAsync()
    {
        if (!killOrphans)
        {
            return;
        }

        var killed = await Subreaper.KillOrphansAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (killed > 0)
        {
            Log($"killed {killed} process(es) the daemon left behind");
        }
    }

    private void Save()
    {
        try
        {
            _status.Save(statusFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log($"cannot write {statusFile}: {e.Message}");
        }
    }

    private static void Log(string line)
        => Console.Error.WriteLine($"{DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} contiv-lab supervise: {line}");

    /// <summary>Runs <c>contiv-lab supervise --name NAME --status FILE -- EXECUTABLE [ARGS…]</c>; returns the exit code.</summary>
    public static async Task<int> RunCommandAsync(IReadOnlyList<string> argv)
    {
        string? name = null, status = null;
        var killOrphans = false;
        var i = 0;
        for (; i < argv.Count && argv[i] != "--"; i++)
        {
            switch (argv[i])
            {
                case "--name" when i + 1 < argv.Count:
                    name = argv[++i];
                    break;
                case "--status" when i + 1 < argv.Count:
                    status = argv[++i];
                    break;
                case "--kill-orphans":
                    killOrphans = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"contiv-lab supervise: unexpected argument '{argv[i]}' (usage: supervise --name NAME --status FILE [--kill-orphans] -- EXECUTABLE [ARGS...])").ConfigureAwait(false);
                    return 2;
            }
        }

        if (name is null || status is null || i + 1 >= argv.Count)
        {
            await Console.Error.WriteLineAsync("contiv-lab supervise: usage: supervise --name NAME --status FILE [--kill-orphans] -- EXECUTABLE [ARGS...]").ConfigureAwait(false);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true;
            stop.Cancel();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        if (killOrphans && !Subreaper.Become())
        {
            Log($"{name}: cannot become the subreaper of the daemon's processes (errno {Marshal.GetLastPInvokeError()}); its orphans are left to init");
        }

        var supervisor = new Supervisor(name, status, argv[i + 1], argv.Skip(i + 2).ToList(), RestartBackOff.CreateDefault(), killOrphans);
        return await supervisor.RunAsync(stop.Token).ConfigureAwait(false);
    }
}
