using System.Diagnostics;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Kubelet;

/// <summary>Runs a short command inside a pod's network (and mount) namespace: exec probes and preStop hooks.</summary>
internal static class PodCommand
{
    /// <summary>Runs <paramref name="argv"/>; returns its exit code (-1 on timeout, after killing it) and the start of its output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string netnsPath, string? mountNsPath, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct)
    {
        if (argv.Count == 0)
        {
            throw new InvalidOperationException("the command is empty");
        }

        var psi = new ProcessStartInfo(LabBinaries.Nsenter)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = "/",
        };
        psi.ArgumentList.Add("--net=" + netnsPath);
        if (mountNsPath is not null)
        {
            psi.ArgumentList.Add("--mount=" + mountNsPath);
        }

        psi.ArgumentList.Add("--");
        foreach (var a in argv)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {argv[0]}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return (-1, $"command timed out after {timeout.TotalSeconds:0.#} s");
        }

        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        return (process.ExitCode, output.Length > 512 ? output[..512] : output);
    }
}
