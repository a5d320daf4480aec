using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Contiv.Testing;

namespace Contiv.Cni.Tests.EndToEnd;

/// <summary>
/// A real node for end-to-end CNI tests: real etcd, a network namespace as the node's host network,
/// the published <c>contiv-vpp</c> and <c>contiv-agent</c> (artifacts/bin) started with <c>--netns</c>,
/// their sockets, logs and state in a private directory. Dispose stops the processes (also after a
/// failed start), removes the directory and the namespaces.
/// </summary>
public sealed class AgentNode : IAsyncLifetime
{
    private const string AgentConfig = """
        ipamConfig:
          podSubnetCIDR: 10.1.0.0/16
          podSubnetOneNodePrefixLen: 24
        controller:
          delayRetry: 200ms
          maxRetryAttempts: 2
        """;

    private readonly List<Process> _processes = [];
    private EtcdServer? _etcd;

    /// <summary>Namespaces of this node and its pods.</summary>
    public NetnsScope Namespaces { get; } = new();

    /// <summary>The node's host network namespace (name).</summary>
    public string NodeNetns { get; private set; } = string.Empty;

    /// <summary>Private directory: sockets, logs, agent state, CNI state.</summary>
    public TempDir Dir { get; } = new();

    /// <summary>The agent's RemoteCNI socket.</summary>
    public string CniSocket => Dir["cni.sock"];

    /// <summary>The agent's REST port (readiness).</summary>
    public int RestPort { get; } = FreePort();

    /// <summary>contiv-cni's attachment records.</summary>
    public string CniDataDir => Dir["cni-state"];

    /// <summary>contiv-cni's log file.</summary>
    public string CniLog => Dir["cni.log"];

    /// <summary>True when the processes run (root only).</summary>
    public bool Started { get; private set; }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        try
        {
            _etcd = await EtcdServer.StartAsync();
            NodeNetns = Namespaces.Create("node1");
            File.WriteAllText(Dir["contiv.conf"], AgentConfig);
            Launch(RepoPaths.Executable("contiv-vpp"),
                ["--api-socket", Dir["vpp-api.sock"], "--cli-socket", Dir["vpp-cli.sock"], "--netns", NodeNetns, "--workers", "1"], Dir["vpp.log"]);
            await WaitAsync(() => Task.FromResult(File.Exists(Dir["vpp-api.sock"])), "contiv-vpp API socket", Dir["vpp.log"]);
            Launch(RepoPaths.Executable("contiv-agent"),
                ["--config", Dir["contiv.conf"], "--node-name", "node1", "--etcd", _etcd.ClientUrl, "--netns", NodeNetns,
                 "--vpp-api-socket", Dir["vpp-api.sock"], "--cni-socket", CniSocket,
                 "--rest-port", RestPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--rest-address", "127.0.0.1",
                 "--state-dir", Dir["agent-state"]],
                Dir["agent.log"]);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await WaitAsync(async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri($"http://127.0.0.1:{RestPort}/readiness"))).StatusCode == HttpStatusCode.OK;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }, "agent readiness", Dir["agent.log"]);
            Started = true;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>A contiv-cni network configuration for this node.</summary>
    public string Conf(string version = "1.0.0", string? extra = null, string? dataDir = null)
        => NetConf.For(version, CniSocket, logFile: CniLog, dataDir: dataDir ?? CniDataDir, extra: extra);

    /// <summary>CNI_ARGS as kubelet passes them.</summary>
    public static string Args(string pod, string containerId)
        => $"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod};K8S_POD_INFRA_CONTAINER_ID={containerId}";

    /// <summary>Runs contiv-cni for a pod of this node.</summary>
    public CniOutcome Cni(string command, string podNetns, string containerId, string pod, string? conf = null)
        => CniRunner.Contiv(command, conf ?? Conf(), containerId: containerId, netns: $"/run/netns/{podNetns}", args: Args(pod, containerId));

    /// <summary>The last lines of a log of this node (for failure messages).</summary>
    public string Tail(string log)
    {
        try
        {
            var lines = File.ReadAllLines(Dir[log]);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 40)));
        }
        catch (IOException e)
        {
            return $"(no {log}: {e.Message})";
        }
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(_processes))
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            p.Dispose();
        }

        _processes.Clear();
        Namespaces.Dispose();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
            _etcd = null;
        }

        Dir.Dispose();
    }

    private void Launch(string exe, string[] args, string logFile)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = ChildProcesses.Start(psi);
        _processes.Add(p);
        var log = TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.WriteLine(e.Data); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.WriteLine(e.Data); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    private async Task WaitAsync(Func<Task<bool>> ready, string what, string log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (!await ready())
        {
            if (_processes.Find(p => p.HasExited) is { } dead)
            {
                throw new InvalidOperationException($"waiting for {what}: {dead.StartInfo.FileName} exited with {dead.ExitCode}; log:\n{Tail(Path.GetFileName(log))}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not there after 45 s; log:\n{Tail(Path.GetFileName(log))}");
            }

            await Task.Delay(150);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
