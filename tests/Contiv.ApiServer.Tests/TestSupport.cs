using System.Diagnostics;
using System.Text;
using Contiv.Testing;
using k8s;

namespace Contiv.ApiServer.Tests;

/// <summary>Runs the real kubectl against a server with its own kubeconfig and a fresh discovery cache.</summary>
internal sealed class Kubectl : IDisposable
{
    public const string Binary = "/usr/bin/kubectl";

    private readonly string _dir;

    public Kubectl(Uri server)
    {
        _dir = Directory.CreateTempSubdirectory("ct-kubectl-").FullName;
        KubeconfigPath = Path.Combine(_dir, "kubeconfig");
        Kubeconfig.Write(KubeconfigPath, server);
    }

    public string KubeconfigPath { get; }

    public string Dir => _dir;

    private IEnumerable<string> Args(IEnumerable<string> args)
        => new[] { "--kubeconfig", KubeconfigPath, "--cache-dir", Path.Combine(_dir, "cache") }.Concat(args);

    public CommandResult Run(params string[] args) => Shell.Run(Binary, Args(args), timeout: TimeSpan.FromSeconds(60));

    public string Ok(params string[] args) => Run(args).EnsureSuccess("kubectl " + string.Join(' ', args)).StdOut;

    /// <summary>Writes a manifest into the temp dir and returns its path.</summary>
    public string File(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Starts a long-running kubectl (e.g. <c>get pods -w</c>) whose output is collected.</summary>
    public BackgroundKubectl Start(params string[] args) => new(Binary, Args(args));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed class BackgroundKubectl : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();

    public BackgroundKubectl(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        _process = ChildProcesses.Start(psi);
        _process.OutputDataReceived += (_, e) => { lock (_out) { if (e.Data is not null) { _out.AppendLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { lock (_out) { if (e.Data is not null) { _out.AppendLine("ERR " + e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}

internal static class Lab
{
    public static Task<LabApiServer> StartAsync(Action<LabApiServerOptions>? configure = null)
    {
        var options = new LabApiServerOptions();
        configure?.Invoke(options);
        return LabApiServer.StartAsync(options);
    }

    public static Kubernetes Client(LabApiServer server) => new(new KubernetesClientConfiguration { Host = server.Url.ToString() });

    /// <summary>Polls until the condition holds or the timeout passes; returns the last result.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow > end)
            {
                return false;
            }

            await Task.Delay(50);
        }
    }

    public static bool Eventually(Func<bool> condition, TimeSpan? timeout = null)
        => EventuallyAsync(() => Task.FromResult(condition()), timeout).GetAwaiter().GetResult();
}
