using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Contiv.Ksr.Tests.Acceptance;
using Contiv.Model;
using Contiv.Testing;

namespace Contiv.Ksr.Tests.Executable;

/// <summary>The published <c>contiv-ksr</c> executable: help, settings errors, a real run stopped by SIGTERM.</summary>
public sealed class KsrExecutableTests
{
    [Fact]
    public void Help_lists_the_options_and_exits_zero()
    {
        var result = Shell.Run(RepoPaths.Executable("contiv-ksr"), ["--help"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(0, result.ExitCode);
        foreach (var option in new[] { "--etcd", "--kubeconfig", "--master", "--config", "--http-address", "--election", "--endpoints-source" })
        {
            Assert.Contains(option, result.StdOut, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Bad_setting_exits_2_naming_the_setting_and_value()
    {
        var result = Shell.Run(RepoPaths.Executable("contiv-ksr"), ["--writers", "many"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("writers", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("many", result.StdErr, StringComparison.Ordinal);

        var env = Shell.Run(RepoPaths.Executable("contiv-ksr"), [], env: new Dictionary<string, string?> { ["CONTIV_KSR_ENDPOINTS_SOURCE"] = "Carrier-Pigeon" }, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, env.ExitCode);
        Assert.Contains("CONTIV_KSR_ENDPOINTS_SOURCE", env.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_from_config_file_with_kubeconfig_and_environment_serves_probes_and_stats_and_stops_on_SIGTERM()
    {
        await using var lab = await KsrLab.StartAsync();
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("contiv-ksr-test-");
        try
        {
            var config = Path.Combine(dir.FullName, "ksr.conf");
            var kubeconfig = Path.Combine(dir.FullName, "kubeconfig");
            // KubernetesClient insists on credentials for the user: the lab server ignores the token.
            await File.WriteAllTextAsync(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: lab
                  cluster:
                    server: {lab.Api.Url}
                users:
                - name: ksr
                  user:
                    token: lab-token
                contexts:
                - name: lab
                  context:
                    cluster: lab
                    user: ksr
                current-context: lab
                """);
            await File.WriteAllTextAsync(config, $"""
                kubeconfig: {kubeconfig}
                http-address: 127.0.0.1:{port}
                identity: ksr-process
                etcd-endpoints:
                  - http://127.0.0.1:1
                """);

            // The environment overrides the config file's (unreachable) etcd.
            using var ksr = StartProcess(["--config", config, "--election-ttl", "3"], new Dictionary<string, string> { ["CONTIV_KSR_ETCD_ENDPOINTS"] = lab.Etcd.ClientUrl });
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            await KsrLab.WaitUntilAsync(
                async () => (await TryGetAsync(http, "readiness")).Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30),
                async () => $"readiness: {(await TryGetAsync(http, "readiness"))}; output: {ksr.Output}");
            Assert.Equal(HttpStatusCode.OK, (await TryGetAsync(http, "liveness")).Status);

            await lab.CreatePodAsync("from-process", ip: "10.1.1.7");
            await lab.WaitForKeyAsync(Keys.Pod("from-process", "default"), v => v.Contains("10.1.1.7", StringComparison.Ordinal));
            var stats = await http.GetStringAsync(new Uri("stats", UriKind.Relative));
            Assert.Contains("adds{reflectorType=\"Pod\"}", stats, StringComparison.Ordinal);
            Assert.Contains("resyncs{reflectorType=\"Namespace\"}", stats, StringComparison.Ordinal);
            var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
            Assert.Contains("contiv_ksr_leader 1", metrics, StringComparison.Ordinal);
            Assert.Single(await lab.ListAsync(Keys.KsrElectionPrefix + "/"));
            using (var put = await http.PutAsync(new Uri("log/contiv-ksr.reflector/debug", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            var logs = await http.GetStringAsync(new Uri("log/list", UriKind.Relative));
            Assert.Contains("\"contiv-ksr.reflector.Pod\":\"Debug\"", logs, StringComparison.Ordinal);
            using (var bad = await http.PutAsync(new Uri("log/contiv-ksr/loud", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            }

            Assert.Equal(0, Kill(ksr.Process.Id, 15));
            Assert.True(ksr.Process.WaitForExit(TimeSpan.FromSeconds(15)), "contiv-ksr did not stop within 15 s of SIGTERM: " + ksr.Output);
            Assert.Equal(0, ksr.Process.ExitCode);
            Assert.Empty(await lab.ListAsync(Keys.KsrElectionPrefix + "/")); // resigned: lease revoked
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_an_http_user_log_levels_and_stats_need_credentials_and_probes_stay_open()
    {
        await using var lab = await KsrLab.StartAsync();
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("contiv-ksr-test-");
        try
        {
            var passwordFile = Path.Combine(dir.FullName, "password");
            await File.WriteAllTextAsync(passwordFile, "pw-42\n");
            using var ksr = StartProcess(
                ["--etcd", lab.Etcd.ClientUrl, "--master", lab.Api.Url.ToString().TrimEnd('/'), "--http-address", $"127.0.0.1:{port}",
                 "--http-user", "ops", "--http-password-file", passwordFile],
                new Dictionary<string, string>());
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            await KsrLab.WaitUntilAsync(
                async () => (await TryGetAsync(http, "readiness")).Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30),
                async () => $"readiness: {(await TryGetAsync(http, "readiness"))}; output: {ksr.Output}");

            using (var put = await http.PutAsync(new Uri("log/contiv-ksr.reflector/debug", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await TryGetAsync(http, "stats")).Status);

            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:pw-42")));
            using (var put = await http.PutAsync(new Uri("log/contiv-ksr.reflector/debug", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            Assert.Contains("\"contiv-ksr.reflector\":\"Debug\"", await http.GetStringAsync(new Uri("log/list", UriKind.Relative)), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<(HttpStatusCode? Status, string Body)> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
        catch (TaskCanceledException e)
        {
            return (null, e.Message);
        }
    }

    private static OwnedProcess StartProcess(IEnumerable<string> args, IDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-ksr"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        return new OwnedProcess(ChildProcesses.Start(psi));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>A child process killed on dispose, with its output kept for failure messages.</summary>
    private sealed class OwnedProcess : IDisposable
    {
        private readonly StringBuilder _output = new();

        public OwnedProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public void Dispose()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    Process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            Process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                if (_output.Length < 200_000)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
