using System.Diagnostics;

namespace Contiv.Crd.Telemetry;

/// <summary>
/// <c>POST /netctl</c>: runs the <c>contiv-netctl</c> executable shipped next to contiv-crd (SPEC §1.1:
/// the CRD image carries the netctl binary) with the posted arguments, pointed at contiv-crd's etcd
/// and the agents through its environment variables (<see cref="AgentAccess.NetctlEnvironment"/>),
/// and returns its output (stdout then stderr) and exit code.
/// </summary>
/// <param name="access">How contiv-crd reaches etcd and the agents.</param>
/// <param name="timeout">Longest run of one command.</param>
internal sealed class NetctlProcess(AgentAccess access, TimeSpan timeout)
{
    /// <summary>The executable: <c>contiv-netctl</c> in contiv-crd's directory.</summary>
    public static string Executable => Path.Combine(AppContext.BaseDirectory, "contiv-netctl");

    /// <summary>Runs one command line.</summary>
    /// <param name="args">Arguments, e.g. <c>["nodes"]</c>.</param>
    /// <param name="ct">Cancellation (the request went away).</param>
    /// <returns>Exit code and output.</returns>
    public async Task<(int ExitCode, string Output)> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!File.Exists(Executable))
        {
            return (127, $"contiv-netctl is not installed next to contiv-crd ({Executable})\n");
        }

        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in access.NetctlEnvironment())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Executable}");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (124, $"contiv-netctl {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s\n");
        }
    }
}
