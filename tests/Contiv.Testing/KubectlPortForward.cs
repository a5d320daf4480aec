using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Contiv.Testing;

/// <summary>
/// A running <c>kubectl port-forward pod/NAME LOCAL:REMOTE --address 127.0.0.1</c> (the real kubectl): started, waited for
/// until it prints <c>Forwarding from 127.0.0.1:LOCAL</c>, stopped with SIGINT (Ctrl-C) as a user would. Also the client
/// side of the checks: <c>curl</c> through the local port, and a raw connection held open while others run.
/// </summary>
public sealed class KubectlPortForward : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private KubectlPortForward(Process process, int localPort)
    {
        _process = process;
        LocalPort = localPort;
    }

    /// <summary>The forwarded local port on 127.0.0.1.</summary>
    public int LocalPort { get; }

    /// <summary>What kubectl printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString() + _stderr;
            }
        }
    }

    /// <summary>Starts kubectl and waits (≤ 30 s) until it forwards; <paramref name="env"/> e.g. disables the WebSocket tunnel.</summary>
    public static async Task<KubectlPortForward> StartAsync(string kubeconfig, string ns, string pod, int remotePort, IDictionary<string, string>? env = null, string? cacheDir = null)
    {
        var local = FreePort();
        var psi = new ProcessStartInfo("/usr/bin/kubectl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--kubeconfig", kubeconfig, "-n", ns, "port-forward", "pod/" + pod, $"{local}:{remotePort}", "--address", "127.0.0.1" })
        {
            psi.ArgumentList.Add(a);
        }

        if (cacheDir is not null)
        {
            psi.ArgumentList.Add("--cache-dir");
            psi.ArgumentList.Add(cacheDir);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        var pf = new KubectlPortForward(ChildProcesses.Start(psi), local);
        pf._process.OutputDataReceived += (_, e) => pf.Append(pf._stdout, e.Data);
        pf._process.ErrorDataReceived += (_, e) => pf.Append(pf._stderr, e.Data);
        pf._process.BeginOutputReadLine();
        pf._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!pf.Output.Contains($"Forwarding from 127.0.0.1:{local}", StringComparison.Ordinal))
        {
            if (pf._process.HasExited || DateTime.UtcNow > deadline)
            {
                var output = pf.Output;
                pf.Dispose();
                throw new InvalidOperationException($"kubectl port-forward did not start: {output}");
            }

            await Task.Delay(50);
        }

        return pf;
    }

    private void Append(StringBuilder sb, string? line)
    {
        if (line is not null)
        {
            lock (_stdout)
            {
                sb.AppendLine(line);
            }
        }
    }

    /// <summary><c>curl -sS</c> of a path through the forwarded port.</summary>
    public CommandResult Curl(string path = "/")
        => Shell.Run("curl", ["-sS", "--max-time", "20", $"http://127.0.0.1:{LocalPort.ToString(CultureInfo.InvariantCulture)}{path}"], timeout: TimeSpan.FromSeconds(30));

    /// <summary>A raw TCP connection to the forwarded port.</summary>
    public async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, LocalPort);
        return client;
    }

    /// <summary>Stops kubectl with SIGINT and returns its exit code (it must exit within 10 s).</summary>
    public int Stop()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            kill.WaitForExit();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException($"kubectl port-forward did not stop on SIGINT: {Output}");
            }
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Whether kubectl is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
