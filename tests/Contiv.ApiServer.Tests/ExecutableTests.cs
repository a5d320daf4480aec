using System.Diagnostics;
using Contiv.Testing;

namespace Contiv.ApiServer.Tests;

/// <summary>The published <c>contiv-apiserver</c> executable.</summary>
public sealed class ExecutableTests
{
    [Fact]
    public void Help_lists_the_options()
    {
        var result = Shell.Run(RepoPaths.Executable("contiv-apiserver"), ["--help"]);
        Assert.Equal(0, result.ExitCode);
        foreach (var option in new[] { "--listen", "--etcd", "--kubeconfig-out", "--service-cidr" })
        {
            Assert.Contains(option, result.StdOut, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Bad_listen_value_is_named_in_the_error()
    {
        var result = Shell.Run(RepoPaths.Executable("contiv-apiserver"), ["--listen", "nowhere"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("\"nowhere\"", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Serves_kubectl_through_the_kubeconfig_it_writes_and_stops_on_sigterm()
    {
        var dir = Directory.CreateTempSubdirectory("ct-apiserver-").FullName;
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-apiserver"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig, "--log-level", "Warning" })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = ChildProcesses.Start(psi);
        try
        {
            Assert.True(Lab.Eventually(() => File.Exists(kubeconfig), TimeSpan.FromSeconds(20)), "kubeconfig was not written");
            var line = process.StandardOutput.ReadLine();
            Assert.StartsWith("contiv-apiserver listening on http://127.0.0.1:", line, StringComparison.Ordinal);
            var kubectl = Shell.Run(Kubectl.Binary, ["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(dir, "cache"), "get", "ns", "default", "-o", "name"]);
            Assert.Equal("namespace/default", kubectl.StdOut.Trim());

            Shell.Run("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.True(process.WaitForExit(10_000), "no exit after SIGTERM");
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(dir, recursive: true);
        }
    }
}
