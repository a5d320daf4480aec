using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Contiv.Agent.Dataplane;
using Contiv.Model.Cni;
using Contiv.Model.Vpp;
using Contiv.Testing;
using Grpc.Net.Client;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// One node of an integration test: a network namespace as the node's host network, a real
/// <c>contiv-vpp</c> (artifacts/bin) and a real <c>contiv-agent</c> process (from the test output),
/// both told <c>--netns</c>, with their sockets in a private temp directory. Dispose kills both and
/// removes the temp directory; the namespaces belong to the test's <see cref="NetnsScope"/>.
/// </summary>
internal sealed class VswitchNode : IAsyncDisposable
{
    private readonly string _etcdUrl;
    private Process? _vpp;
    private Process? _agent;
    private DataplaneConnection? _dataplane;
    private GrpcChannel? _cniChannel;

    public VswitchNode(string name, string netns, string etcdUrl, string config)
    {
        Name = name;
        Netns = netns;
        _etcdUrl = etcdUrl;
        Dir = Directory.CreateTempSubdirectory($"ctagent-{name}-").FullName;
        ConfigPath = Path.Combine(Dir, "contiv.conf");
        File.WriteAllText(ConfigPath, config);
        RestPort = FreePort();
    }

    public string Name { get; }

    public string Netns { get; }

    public string Dir { get; }

    public string ConfigPath { get; }

    public int RestPort { get; }

    public string ApiSocket => Path.Combine(Dir, "vpp-api.sock");

    public string CliSocket => Path.Combine(Dir, "vpp-cli.sock");

    public string CniSocket => Path.Combine(Dir, "cni.sock");

    public string StateDir => Path.Combine(Dir, "state");

    public string AgentLog => Path.Combine(Dir, "agent.log");

    public string VppLog => Path.Combine(Dir, "vpp.log");

    public int? AgentPid => _agent is { HasExited: false } ? _agent.Id : null;

    public DataplaneConnection Dataplane => _dataplane ??= new DataplaneConnection(ApiSocket);

    public RemoteCNI.RemoteCNIClient Cni
    {
        get
        {
            _cniChannel ??= UnixChannel(CniSocket);
            return new RemoteCNI.RemoteCNIClient(_cniChannel);
        }
    }

    /// <summary>Starts the data plane; <paramref name="ownPidNamespace"/> runs it as pid 1 of a new pid namespace (as in a container: every restart gets the same pid).</summary>
    public void StartVpp(bool ownPidNamespace = false)
    {
        string[] args = ["--api-socket", ApiSocket, "--cli-socket", CliSocket, "--netns", Netns, "--workers", "1"];
        _vpp = ownPidNamespace
            ? Launch("unshare", ["--pid", "--kill-child", RepoPaths.Executable("contiv-vpp"), .. args], VppLog)
            : Launch(RepoPaths.Executable("contiv-vpp"), args, VppLog);
        WaitUntil(() => File.Exists(ApiSocket) && TryVersion() is not null, TimeSpan.FromSeconds(20), $"contiv-vpp of {Name} did not start; log:\n{Tail(VppLog)}");
    }

    public void KillVpp()
    {
        Kill(_vpp);
        _vpp = null;
    }

    public void StartAgent(IEnumerable<string>? extraArgs = null)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "contiv-agent");
        _agent = Launch(exe,
            ["--config", ConfigPath, "--node-name", Name, "--etcd", _etcdUrl, "--netns", Netns, "--vpp-api-socket", ApiSocket,
             "--cni-socket", CniSocket, "--rest-port", RestPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--rest-address", "127.0.0.1", "--state-dir", StateDir, .. extraArgs ?? []],
            AgentLog);
    }

    public void KillAgent()
    {
        Kill(_agent);
        _agent = null;
        _cniChannel?.Dispose();
        _cniChannel = null;
    }

    public async Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(40));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (DateTime.UtcNow < deadline)
        {
            if (_agent is { HasExited: true })
            {
                throw new InvalidOperationException($"agent {Name} exited with {_agent.ExitCode}; log:\n{Tail(AgentLog)}");
            }

            try
            {
                var r = await http.GetAsync(new Uri($"http://127.0.0.1:{RestPort}/readiness"));
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"agent {Name} not ready; log:\n{Tail(AgentLog)}");
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var r = await http.GetAsync(new Uri($"http://127.0.0.1:{RestPort}{path}"));
        var text = await r.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public async Task<(HttpStatusCode Status, string Body)> PostJsonAsync(string path, object body)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var r = await http.PostAsJsonAsync(new Uri($"http://127.0.0.1:{RestPort}{path}"), body);
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    public Task<CNIReply> AddPodAsync(string podName, string podNetns, string containerId, string ifName = "eth0")
        => Cni.AddAsync(Request(podName, podNetns, containerId, ifName), deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync;

    public Task<CNIReply> DeletePodAsync(string podName, string podNetns, string containerId)
        => Cni.DeleteAsync(Request(podName, podNetns, containerId, "eth0"), deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync;

    public static CNIRequest Request(string podName, string podNetns, string containerId, string ifName) => new()
    {
        Version = "0.3.1",
        ContainerId = containerId,
        NetworkNamespace = podNetns.StartsWith('/') ? podNetns : "/var/run/netns/" + podNetns,
        InterfaceName = ifName,
        ExtraArguments = $"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME={podName};K8S_POD_INFRA_CONTAINER_ID={containerId}",
    };

    public DumpReply Dump() => Dataplane.Client.Dump(new DumpRequest(), Dataplane.Options());

    public string Tail(string file, int lines = 60)
    {
        try
        {
            var all = File.ReadAllLines(file);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        KillAgent();
        KillVpp();
        _dataplane?.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(failure);
            }

            Thread.Sleep(100);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(failure());
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The data plane's version reply (pid, instance ID), or null when it does not answer.</summary>
    public VersionReply? Version() => TryVersion();

    private VersionReply? TryVersion()
    {
        try
        {
            return Dataplane.Client.GetVersion(new Empty(), deadline: DateTime.UtcNow.AddSeconds(2));
        }
        catch (Grpc.Core.RpcException)
        {
            return null;
        }
    }

    private static Process Launch(string exe, string[] args, string logFile)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = ChildProcesses.Start(psi);
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var gate = new object();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { log.WriteLine(e.Data); } } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { log.WriteLine(e.Data); } } };
        p.Exited += (_, _) => { lock (gate) { log.Flush(); } };
        p.EnableRaisingEvents = true;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Kill(Process? p)
    {
        if (p is null)
        {
            return;
        }

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
        }

        p.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static GrpcChannel UnixChannel(string path)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
    }
}
