using Contiv.ApiServer;
using Contiv.Lab.Kubelet;
using Contiv.Testing;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>
/// The real kubectl against the project's API server and the kubelet stand-in's endpoint: <c>kubectl logs</c> (tail,
/// container choice), <c>kubectl exec</c> over the WebSocket channel protocol (stdout, stderr, stdin, exit codes),
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
}
