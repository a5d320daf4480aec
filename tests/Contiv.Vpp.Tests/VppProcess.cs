using System.Diagnostics;
using Contiv.Testing;

namespace Contiv.Vpp.Tests;

/// <summary>
/// The real published <c>contiv-vpp</c> started for one test (sockets in a temp dir, host netns =
/// a test namespace); stopped with SIGTERM (then SIGKILL) on dispose, temp dir removed.
/// </summary>
internal sealed class VppProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    public VppProcess(string? netns, params string[] extraArgs)
    {
        Dir = Directory.CreateTempSubdirectory("contiv-vpp-test.").FullName;
        CliSocket = Path.Combine(Dir, "cli.sock");
        ApiSocket = Path.Combine(Dir, "api.sock");
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-vpp"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--cli-socket");
        psi.ArgumentList.Add(CliSocket);
        psi.ArgumentList.Add("--api-socket");
        psi.ArgumentList.Add(ApiSocket);
        if (netns is not null)
        {
            psi.ArgumentList.Add("--netns");
            psi.ArgumentList.Add(netns);
        }

        foreach (var a in extraArgs)
        {
            psi.ArgumentList.Add(a);
        }

        _process = ChildProcesses.Start(psi);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"contiv-vpp exited with {_process.ExitCode}: {Log}");
            }

            if (File.Exists(CliSocket) && File.Exists(ApiSocket) && TryCli("show version", out _))
            {
                return;
            }

            Thread.Sleep(100);
        }

        Dispose();
        throw new TimeoutException($"contiv-vpp did not start within 30 s: {Log}");
    }

    public string Dir { get; }

    public string CliSocket { get; }

    public string ApiSocket { get; }

    public int Pid => _process.Id;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <summary>Runs a CLI command through contiv-vppctl; throws with the output when it failed.</summary>
    public string Cli(string command)
    {
        if (!TryCli(command, out var output))
        {
            throw new InvalidOperationException($"`{command}` failed: {output}");
        }

        return output;
    }

    public bool TryCli(string command, out string output)
    {
        var args = new List<string> { "-s", CliSocket };
        args.AddRange(command.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var r = Shell.Run(RepoPaths.Executable("contiv-vppctl"), args, timeout: TimeSpan.FromSeconds(60));
        output = r.StdOut + r.StdErr;
        return r.ExitCode == 0;
    }

    /// <summary>Sends SIGTERM and waits for the exit; true when it exited in time.</summary>
    public bool Terminate(TimeSpan wait)
    {
        if (_process.HasExited)
        {
            return true;
        }

        _ = Shell.Run($"kill -TERM {_process.Id}");
        return _process.WaitForExit(wait);
    }

    public void Dispose()
    {
        try
        {
            if (!Terminate(TimeSpan.FromSeconds(10)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
