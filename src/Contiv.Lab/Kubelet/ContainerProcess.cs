using System.Diagnostics;
using Contiv.Lab.Lab;
using Contiv.Lab.Processes;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// One container of a pod, run as a plain process (the lab has no images): <c>command</c> +
/// <c>args</c> executed inside the pod's network namespace through nsenter, in its own session
/// (so stopping it reaches every process it forked), output appended to a log file. The kubelet
/// is the parent and reaps it.
/// </summary>
public sealed class ContainerProcess
{
    private readonly V1Container _spec;
    private Process? _process;

    /// <summary>Creates the (not yet started) container.</summary>
    public ContainerProcess(V1Container spec, string logFile)
    {
        _spec = spec;
        LogFile = logFile;
    }

    /// <summary>Container name.</summary>
    public string Name => _spec.Name;

    /// <summary>Image field, reported back in the status.</summary>
    public string Image => _spec.Image ?? "none";

    /// <summary>Log file of the container's stdout and stderr.</summary>
    public string LogFile { get; }

    /// <summary>Process id while running.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>When the current (or last) run started.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>When the last run ended.</summary>
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Exit code of the last run, if it ended.</summary>
    public int? LastExitCode { get; private set; }

    /// <summary>How often the container was restarted.</summary>
    public int RestartCount { get; set; }

    /// <summary>Completes when the current run exits.</summary>
    public Task Exited { get; private set; } = Task.CompletedTask;

    /// <summary>The command line the container runs (command + args).</summary>
    public IReadOnlyList<string> Argv
    {
        get
        {
            var argv = new List<string>();
            argv.AddRange(_spec.Command ?? []);
            argv.AddRange(_spec.Args ?? []);
            return argv;
        }
    }

    /// <summary>
    /// The container's own mount namespace while it runs (it has one when started with a resolv.conf), for exec and
    /// probes to see the same files; null otherwise.
    /// </summary>
    public string? MountNamespacePath => _ownMounts && Pid is { } pid ? $"/proc/{pid}/ns/mnt" : null;

    private bool _ownMounts;

    /// <summary>
    /// Starts the process inside <paramref name="netnsPath"/>. With <paramref name="resolvConf"/> it also gets a private
    /// mount namespace in which that file is bind-mounted onto <c>/etc/resolv.conf</c> (the host's file is untouched).
    /// </summary>
    public void Start(string netnsPath, string workingDirectory, IDictionary<string, string> extraEnvironment, string? resolvConf = null)
    {
        var argv = Argv;
        if (argv.Count == 0)
        {
            throw new InvalidOperationException($"container {Name} has neither command nor args; the lab runs no images, so one of them must name a program");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(LogFile)!);
        Directory.CreateDirectory(workingDirectory);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = _spec.WorkingDir is { Length: > 0 } wd && Directory.Exists(wd) ? wd : workingDirectory };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec setsid \"$@\" </dev/null >>\"$CONTIV_LAB_LOG\" 2>&1");
        psi.ArgumentList.Add("sh");
        if (resolvConf is not null)
        {
            // unshare and nsenter exec (no fork), so the pid started here is the container's: /proc/<pid>/ns/mnt is its mounts.
            psi.ArgumentList.Add(LabBinaries.Unshare);
            psi.ArgumentList.Add("--mount");
            psi.ArgumentList.Add("--propagation");
            psi.ArgumentList.Add("private");
            psi.ArgumentList.Add("--");
        }

        psi.ArgumentList.Add(LabBinaries.Nsenter);
        psi.ArgumentList.Add("--net=" + netnsPath);
        psi.ArgumentList.Add("--");
        if (resolvConf is not null)
        {
            psi.ArgumentList.Add("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("mount --bind \"$1\" /etc/resolv.conf || exit 127; shift; exec \"$@\"");
            psi.ArgumentList.Add("sh");
            psi.ArgumentList.Add(resolvConf);
        }

        foreach (var a in argv)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["CONTIV_LAB_LOG"] = LogFile;
        DaemonRuntime.Scrub(psi.Environment);
        foreach (var (k, v) in extraEnvironment)
        {
            psi.Environment[k] = v;
        }

        foreach (var env in _spec.Env ?? [])
        {
            psi.Environment[env.Name] = env.Value ?? string.Empty;
        }

        File.AppendAllText(LogFile, $"--- {DateTimeOffset.UtcNow:O} start: {string.Join(' ', argv)}\n");
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"container {Name}: cannot start {argv[0]}");
        _process = p;
        _ownMounts = resolvConf is not null;
        StartedAt = DateTimeOffset.UtcNow;
        FinishedAt = null;
        Exited = WatchAsync(p);
    }

    /// <summary>Stops the container: SIGTERM to its process group, SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        var p = _process;
        if (p is null || p.HasExited)
        {
            return;
        }

        ProcessTable.SignalGroup(p.Id, ProcessTable.SigTerm);
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ProcessTable.SignalGroup(p.Id, ProcessTable.SigKill);
            await p.WaitForExitAsync().ConfigureAwait(false);
        }

        // Children that left the group still die with the namespace sweep; the group is gone here.
        ProcessTable.SignalGroup(p.Id, ProcessTable.SigKill);
    }

    private async Task WatchAsync(Process p)
    {
        await p.WaitForExitAsync().ConfigureAwait(false);
        LastExitCode = p.ExitCode;
        FinishedAt = DateTimeOffset.UtcNow;
        try
        {
            File.AppendAllText(LogFile, $"--- {DateTimeOffset.UtcNow:O} exited with code {p.ExitCode}\n");
        }
        catch (IOException)
        {
            // The state directory is being removed (lab down).
        }
    }
}
