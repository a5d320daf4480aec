using System.Diagnostics;

namespace Contiv.Testing;

/// <summary>Result of a command run by a test.</summary>
public sealed record CommandResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Throws with the command's output when it failed.</summary>
    public CommandResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed with exit code {ExitCode}: {StdErr.Trim()} {StdOut.Trim()}");
        }

        return this;
    }
}

/// <summary>
/// Runs external commands (ip, ping, iperf3, tshark …) from tests. Tests may shell out to check
/// behaviour with independent tools; product code must not.
/// </summary>
public static class Shell
{
    /// <summary>Runs a program with arguments (no shell), optional stdin and environment, and a timeout.</summary>
    public static CommandResult Run(string file, IEnumerable<string> args, string? stdin = null,
        IDictionary<string, string?>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
        }

        p.StandardInput.Close();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        if (!p.WaitForExit(limit))
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited in between
            }

            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit.TotalSeconds:0}s");
        }

        return new CommandResult(p.ExitCode, stdoutTask.GetAwaiter().GetResult(), stderrTask.GetAwaiter().GetResult());
    }

    /// <summary>Runs a whitespace-separated command line (no quoting) and returns its result.</summary>
    public static CommandResult Run(string commandLine, TimeSpan? timeout = null)
    {
        var parts = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return Run(parts[0], parts.Skip(1), timeout: timeout);
    }

    /// <summary>Runs <c>ip …</c> and throws on failure.</summary>
    public static string Ip(string args) => Run("ip " + args).EnsureSuccess("ip " + args).StdOut;
}
