using System.Net;
using System.Net.Sockets;
using System.Text;
using Contiv.ApiServer;
using Contiv.Lab.Kubelet;
using Contiv.Testing;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>
/// The real kubectl against the project's API server and the kubelet stand-in's endpoint: <c>kubectl logs</c> (tail,
/// container choice), <c>kubectl exec</c> over the WebSocket channel protocol (stdout, stderr, stdin, exit codes),
/// <c>kubectl port-forward</c> (SPDY tunnelled in a WebSocket, and the plain SPDY fallback) to a server the "pod" runs,
/// and kubelet events in <c>kubectl describe pod</c> / <c>kubectl get events</c>.
/// </summary>
public sealed class KubeletVerbsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ct-kubelet-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private LabApiServer _server = null!;
    private Kubernetes _client = null!;
    private KubeletServer _kubelet = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _server = await LabApiServer.StartAsync(new LabApiServerOptions { Port = 0 });
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = _server.Url.ToString() });
        _kubeconfig = Path.Combine(_dir, "kubeconfig");
        Contiv.ApiServer.Kubeconfig.Write(_kubeconfig, _server.Url);
        var logs = Path.Combine(_dir, "pods");
        _kubelet = new KubeletServer(logs, "kubelet/node1", (ns, pod) => ns == "default" && pod is "box" or "two" ? string.Empty : null);
        _ = _kubelet.RunAsync(_stop.Token);

        await _client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node1" } });
        await _client.CoreV1.PatchNodeStatusAsync(new V1Patch("{\"status\":{\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":" + _kubelet.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}}}", V1Patch.PatchType.MergePatch), "node1");
        foreach (var (pod, containers) in new[] { ("box", new[] { "c" }), ("two", new[] { "a", "b" }) })
        {
            await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = pod },
                Spec = new V1PodSpec { NodeName = "node1", Containers = containers.Select(c => new V1Container { Name = c, Image = "none" }).ToList() },
            }, "default");
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), pod, "default");
        }

        var boxLogs = Directory.CreateDirectory(Path.Combine(logs, "default_box_0123abcd")).FullName;
        await File.WriteAllTextAsync(Path.Combine(boxLogs, "c.log"), "--- 2026-12-07T00:00:00Z start: server\nhello\nworld\n");
        var twoLogs = Directory.CreateDirectory(Path.Combine(logs, "default_two_0123abcd")).FullName;
        await File.WriteAllTextAsync(Path.Combine(twoLogs, "b.log"), "from b\n");
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _kubelet.Dispose();
        _client.Dispose();
        await _server.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private CommandResult Kubectl(string? stdin, params string[] args)
        => Shell.Run("/usr/bin/kubectl", new[] { "--kubeconfig", _kubeconfig, "--cache-dir", Path.Combine(_dir, "cache") }.Concat(args), stdin, timeout: TimeSpan.FromSeconds(60));

    [Fact]
    public void Kubectl_logs_prints_the_container_output_without_the_kubelet_lines()
    {
        Assert.Equal("hello\nworld\n", Kubectl(null, "logs", "box").EnsureSuccess("logs").StdOut);
        Assert.Equal("world\n", Kubectl(null, "logs", "box", "--tail=1").EnsureSuccess("logs --tail").StdOut);
        Assert.Equal("from b\n", Kubectl(null, "logs", "two", "-c", "b").EnsureSuccess("logs -c").StdOut);
        // kubectl picks the first container itself; "a" has written nothing yet, which the kubelet reports.
        var first = Kubectl(null, "logs", "two");
        Assert.NotEqual(0, first.ExitCode);
        Assert.Contains("container \"a\" in pod \"two\"", first.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_logs_follow_streams_appended_lines()
    {
        var file = Path.Combine(_dir, "pods", "default_box_0123abcd", "c.log");
        using var follow = new System.Diagnostics.Process
        {
            StartInfo = new System.Diagnostics.ProcessStartInfo("/usr/bin/kubectl") { RedirectStandardOutput = true, UseShellExecute = false },
        };
        foreach (var a in new[] { "--kubeconfig", _kubeconfig, "--cache-dir", Path.Combine(_dir, "cache"), "logs", "-f", "box" })
        {
            follow.StartInfo.ArgumentList.Add(a);
        }

        follow.Start();
        try
        {
            Assert.Equal("hello", await follow.StandardOutput.ReadLineAsync());
            Assert.Equal("world", await follow.StandardOutput.ReadLineAsync());
            await File.AppendAllTextAsync(file, "later\n");
            var line = await follow.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("later", line);
        }
        finally
        {
            follow.Kill();
        }
    }

    [Fact]
    public void Kubectl_exec_runs_the_command_with_stdout_stderr_stdin_and_exit_code()
    {
        var r = Kubectl(null, "exec", "box", "--", "sh", "-c", "echo out; echo err >&2");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("out\n", r.StdOut);
        Assert.Contains("err", r.StdErr, StringComparison.Ordinal);

        Assert.Equal("piped through\n", Kubectl("piped through\n", "exec", "-i", "box", "--", "cat").EnsureSuccess("exec -i cat").StdOut);

        var failed = Kubectl(null, "exec", "box", "--", "sh", "-c", "exit 3");
        Assert.Equal(3, failed.ExitCode);
        Assert.NotEqual(0, Kubectl(null, "exec", "box", "--", "/nonexistent/program").ExitCode);
    }

    /// <summary>
    /// <c>kubectl exec -i</c> reads the exit status from the error channel and then waits for the close handshake; a
    /// kubelet or API server that drops the connection (instead of closing the WebSocket and waiting for the peer's
    /// close) makes kubectl fail with "error reading from error stream: … connection reset by peer" after the output.
    /// Many runs, two at a time, so a racy close shows.
    /// </summary>
    [Fact]
    public void Kubectl_exec_with_stdin_always_reads_the_exit_status_before_the_close()
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 60, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var code = i % 3 == 0 ? 3 : 0;
            var r = Kubectl(string.Empty, "exec", "-i", "box", "--", "sh", "-c", $"echo run {i}; exit {code}");
            if (r.ExitCode != code || r.StdOut != $"run {i}\n")
            {
                failures.Add($"run {i}: exit {r.ExitCode} (want {code}), stdout [{r.StdOut}], stderr [{r.StdErr}]");
            }
        });
        Assert.True(failures.IsEmpty, $"{failures.Count}/60 failed:\n{string.Join('\n', failures)}");
    }

    /// <summary>
    /// <c>kubectl exec -it</c> as a person runs it, on a terminal (util-linux <c>script</c> gives kubectl one of 30 rows
    /// and 100 columns): the command runs on a pseudo-terminal of the kubelet's with kubectl's window size, and typed
    /// input reaches an interactive shell whose exit code is kubectl's.
    /// </summary>
    [Fact]
    public void Kubectl_exec_with_a_tty_runs_the_command_on_a_terminal_of_the_clients_size()
    {
        var kubectl = $"/usr/bin/kubectl --kubeconfig {_kubeconfig} --cache-dir {Path.Combine(_dir, "cache")}";
        var r = Shell.Run("script", ["-qec", $"stty rows 30 cols 100; {kubectl} exec -it box -- sh -c '[ -t 0 ] && echo is-a-tty; stty size; tty'", "/dev/null"],
            stdin: string.Empty, timeout: TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"exec -it: exit {r.ExitCode}: {r.StdOut}{r.StdErr}");
        Assert.Contains("is-a-tty", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("30 100", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("/dev/pts/", r.StdOut, StringComparison.Ordinal);

        var typed = Shell.Run("script", ["-qec", $"{kubectl} exec -it box -- sh", "/dev/null"], stdin: "echo hi-$((40+2)); exit 7\n", timeout: TimeSpan.FromSeconds(60));
        Assert.True(typed.ExitCode == 7, $"exec -it sh: exit {typed.ExitCode}: {typed.StdOut}{typed.StdErr}");
        Assert.Contains("hi-42", typed.StdOut, StringComparison.Ordinal);
    }

    /// <summary>A pod on a node whose kubelet does not answer: kubectl exec fails with the API server's reason (a Failure Status after the upgrade).</summary>
    [Fact]
    public async Task Kubectl_exec_to_an_unreachable_kubelet_reports_why()
    {
        await _client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "ghost" } });
        await _client.CoreV1.PatchNodeStatusAsync(new V1Patch("""{"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":1}}}}""", V1Patch.PatchType.MergePatch), "ghost");
        await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "lost" },
            Spec = new V1PodSpec { NodeName = "ghost", Containers = [new V1Container { Name = "c", Image = "none" }] },
        }, "default");
        await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), "lost", "default");

        var r = Kubectl(null, "exec", "lost", "--", "true");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("cannot reach the kubelet of node ghost", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubelet_events_show_in_describe_pod_and_get_events_aggregated()
    {
        var pod = await _client.CoreV1.ReadNamespacedPodAsync("box", "default");
        var events = new PodEvents(_client, "kubelet", "node1");
        events.Normal(pod, "Started", "Started container c", "c");
        events.Warning(pod, "FailedCreatePodSandBox", "Failed to create pod sandbox: plugin contiv-cni: agent unreachable");
        events.Warning(pod, "FailedCreatePodSandBox", "Failed to create pod sandbox: plugin contiv-cni: agent unreachable");
        var end = DateTime.UtcNow.AddSeconds(10);
        while ((await _client.CoreV1.ListNamespacedEventAsync("default")).Items.FirstOrDefault(e => e.Reason == "FailedCreatePodSandBox")?.Count != 2 && DateTime.UtcNow < end)
        {
            await Task.Delay(50);
        }

        var describe = Kubectl(null, "describe", "pod", "box").EnsureSuccess("describe").StdOut;
        Assert.Contains("FailedCreatePodSandBox", describe, StringComparison.Ordinal);
        Assert.Contains("agent unreachable", describe, StringComparison.Ordinal);
        Assert.Contains("(x2 over", describe, StringComparison.Ordinal);
        var list = Kubectl(null, "get", "events").EnsureSuccess("get events").StdOut;
        Assert.Contains("pod/box", list, StringComparison.Ordinal);
        Assert.Contains("Started container c", list, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Kubectl_port_forward_carries_requests_and_concurrent_connections(bool websocketTunnel)
    {
        using var http = new TinyHttpServer();
        var env = websocketTunnel ? null : new Dictionary<string, string> { ["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = "false" };
        using var pf = await KubectlPortForward.StartAsync(_kubeconfig, "default", "box", http.Port, env, Path.Combine(_dir, "cache"));
        for (var i = 0; i < 4; i++)
        {
            var r = pf.Curl($"/r{i}");
            Assert.True(r.ExitCode == 0, $"curl through port-forward: {r.StdErr}; kubectl: {pf.Output}");
            Assert.Equal($"hello /r{i}", r.StdOut);
        }

        // A second connection while the first is open: two stream pairs on the one SPDY connection.
        using (var held = await pf.ConnectAsync())
        {
            var stream = held.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /held HTTP/1.0\r\n"));
            Assert.True(await http.WaitForConnectionsAsync(1), "the held connection reached the server");
            Assert.Equal("hello /other", pf.Curl("/other").EnsureSuccess("curl beside a held connection").StdOut);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("\r\n"));
            using var reader = new StreamReader(stream);
            var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.EndsWith("hello /held", response, StringComparison.Ordinal);
        }

        Assert.True(http.MaxConcurrent >= 2, $"two connections were open at once at the server (max {http.MaxConcurrent})");
        Assert.True(pf.IsRunning, pf.Output);
        Assert.Equal(0, pf.Stop());
    }

    [Fact]
    public async Task Kubectl_port_forward_to_a_closed_port_reports_the_kubelets_error()
    {
        int closed;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            closed = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        using var pf = await KubectlPortForward.StartAsync(_kubeconfig, "default", "box", closed, cacheDir: Path.Combine(_dir, "cache"));
        Assert.NotEqual(0, pf.Curl().ExitCode);
        var end = DateTime.UtcNow.AddSeconds(10);
        while (!pf.Output.Contains("connection refused", StringComparison.OrdinalIgnoreCase) && DateTime.UtcNow < end)
        {
            await Task.Delay(50);
        }

        Assert.Contains($"failed to connect to localhost:{closed}", pf.Output, StringComparison.Ordinal);
        Assert.Contains("connection refused", pf.Output, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>HTTP/1.0 on 127.0.0.1: answers <c>hello {path}</c> and closes; counts concurrent connections.</summary>
    private sealed class TinyHttpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _open;
        private int _max;

        public TinyHttpServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptAsync();
        }

        public int Port { get; }

        public int MaxConcurrent => Volatile.Read(ref _max);

        public async Task<bool> WaitForConnectionsAsync(int n)
        {
            var end = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref _open) < n && DateTime.UtcNow < end)
            {
                await Task.Delay(20);
            }

            return Volatile.Read(ref _open) >= n;
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = ServeAsync(client);
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            var open = Interlocked.Increment(ref _open);
            int max;
            while (open > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, open, max) != max)
            {
            }

            try
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var request = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(buffer, _stop.Token);
                        if (n == 0)
                        {
                            return;
                        }

                        request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    var body = "hello " + request.ToString().Split(' ')[1];
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _open);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
