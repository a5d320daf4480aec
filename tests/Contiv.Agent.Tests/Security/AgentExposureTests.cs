using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Contiv.Agent.Tests.Integration;
using Contiv.Model.Cni;
using Contiv.Testing;
using Grpc.Core;

namespace Contiv.Agent.Tests.Security;

/// <summary>
/// What a pod or a local process can reach on a node (docs/security.md): the agent's REST over HTTPS with
/// basic auth, the read-only <c>/vpp/command</c>, owner-only unix sockets from the moment they appear, and
/// the CNI server's input checks. One real etcd, contiv-vpp and contiv-agent for the class.
/// </summary>
[Collection("integration")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AgentExposureTests : IAsyncLifetime
{
    private const string User = "admin";
    private const string Password = "s3cret pass";
    private readonly NetnsScope _ns = new();
    private EtcdServer? _etcd;
    private VswitchNode? _node;
    private EtcdTls? _tls;
    private string? _dir;
    private readonly Dictionary<string, UnixFileMode?> _firstSeenModes = new(StringComparer.Ordinal);

    public Task InitializeAsync() => Fixtures.StartOrCleanUpAsync(StartAsync, DisposeAsync);

    private async Task StartAsync()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        _dir = Directory.CreateTempSubdirectory("ctsec-").FullName;
        _tls = EtcdTls.Create(Path.Combine(_dir, "tls"));
        var passwordFile = Path.Combine(_dir, "rest-password");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        _etcd = await EtcdServer.StartAsync();
        _node = new VswitchNode("node1", _ns.Create("node1"), _etcd.ClientUrl, "mtuSize: 1450\n");

        // Watch the socket paths from before the daemons start: the first time a path exists, its mode must
        // already be 0600 (a chmod after listen() would be seen here as 0755 first).
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(() => WatchModes([_node.ApiSocket, _node.CliSocket, _node.CniSocket], stop.Token));
        _node.StartVpp();
        _node.StartAgent(["--rest-cert-file", _tls.ServerCertFile, "--rest-key-file", _tls.ServerKeyFile,
            "--rest-user", User, "--rest-password-file", passwordFile]);
        VswitchNode.WaitUntil(() => File.Exists(_node.CniSocket), TimeSpan.FromSeconds(30), $"no CNI socket; agent log:\n{_node.Tail(_node.AgentLog)}");
        await stop.CancelAsync();
        await watcher;
        await WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        _ns.Dispose();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }

        if (_dir is not null)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [RootFact]
    public void Every_unix_socket_is_owner_only_from_the_moment_it_appears()
    {
        foreach (var path in new[] { _node!.ApiSocket, _node.CliSocket, _node.CniSocket })
        {
            Assert.True(_firstSeenModes.TryGetValue(path, out var first), $"{path} was never seen");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, first);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        // No staging directory is left next to the sockets.
        Assert.Empty(Directory.GetDirectories(_node.Dir, ".*staging"));
    }

    [RootFact]
    public async Task Mutating_endpoints_answer_401_without_credentials_and_200_with_them()
    {
        using var anonymous = Client(withCredentials: false);
        using var admin = Client(withCredentials: true);

        var resync = await anonymous.PostAsync(Url("/controller/resync"), null);
        Assert.Equal(HttpStatusCode.Unauthorized, resync.StatusCode);
        Assert.Contains("Basic", resync.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var command = await anonymous.PostAsJsonAsync(Url("/vpp/command"), new { vppclicommand = "show version" });
        Assert.Equal(HttpStatusCode.Unauthorized, command.StatusCode);
        var wrong = Client(withCredentials: false);
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:wrong")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsync(Url("/controller/resync"), null)).StatusCode);
        wrong.Dispose();
        // Reads are protected too (dumps describe the node's network); probes stay open for the kubelet.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Url("/scheduler/dump"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(Url("/readiness"))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync(Url("/controller/resync"), null)).StatusCode);
        var show = await admin.PostAsJsonAsync(Url("/vpp/command"), new { vppclicommand = "show version" });
        Assert.Equal(HttpStatusCode.OK, show.StatusCode);
        Assert.Contains("contiv", await show.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [RootFact]
    public async Task Vpp_command_refuses_a_command_that_is_not_show()
    {
        using var admin = Client(withCredentials: true);
        var before = _node!.Dump().Interfaces.Count(i => i.Enabled);
        var r = await admin.PostAsJsonAsync(Url("/vpp/command"), new { vppclicommand = "set interface state tap-vpp2 down" });
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("not a 'show' command", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var twoLines = await admin.PostAsJsonAsync(Url("/vpp/command"), new { vppclicommand = "show version\nset interface state tap-vpp2 down" });
        Assert.Equal(HttpStatusCode.Forbidden, twoLines.StatusCode);
        Assert.Equal(before, _node.Dump().Interfaces.Count(i => i.Enabled));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync(Url("/vpp/command"), new { vppclicommand = "sh int" })).StatusCode);
    }

    [RootFact]
    public async Task Cni_add_refuses_the_nodes_own_namespaces_and_files_that_are_not_network_namespaces()
    {
        var notNetns = Path.Combine(_dir!, "not-a-netns");
        await File.WriteAllTextAsync(notNetns, "x");
        var cases = new (string Netns, string Expected)[]
        {
            // The agent's own namespace, also named through another process in it (this test runner).
            ($"/proc/{_node!.AgentPid}/ns/net", "the agent's own network namespace"),
            ($"/proc/{Environment.ProcessId}/ns/net", "the agent's own network namespace"),
            // init's namespace: the node's own on a real node; on a machine where even root may not open it, refused as unopenable.
            ("/proc/1/ns/net", File.Exists("/proc/1/ns/net") && CanOpen("/proc/1/ns/net") ? "the agent's own network namespace" : "cannot be opened"),
            ("/var/run/netns/" + _node.Netns, "the node's host network namespace"),
            (notNetns, "is not a network namespace"),
            ($"/proc/{Environment.ProcessId}/ns/uts", "is not a network namespace"),
            ("relative/path", "not an absolute path"),
        };
        foreach (var (netns, expected) in cases)
        {
            var request = VswitchNode.Request("web-1", "x", "c0ffee01", "eth0");
            request.NetworkNamespace = netns;
            var e = await Assert.ThrowsAsync<RpcException>(() => _node.Cni.AddAsync(request, deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains(expected, e.Status.Detail, StringComparison.Ordinal);
        }

        // The node's namespace gained no pod interface from any of these.
        Assert.DoesNotContain(_node.Dump().Interfaces, i => i.Name.StartsWith("vpp-tap-", StringComparison.Ordinal));
    }

    [RootFact]
    public async Task Cni_add_refuses_bad_container_ids_interface_names_and_pod_names()
    {
        var pod = _ns.Create("pod-names");
        var bad = new (CNIRequest Request, string Expected)[]
        {
            (With(VswitchNode.Request("web-1", pod, "../../etc", "eth0")), "container ID '../../etc' is invalid"),
            (With(VswitchNode.Request("web-1", pod, "-leadingdash", "eth0")), "container ID '-leadingdash' is invalid"),
            (With(VswitchNode.Request("web-1", pod, "c0ffee02", "eth0/x")), "interface name 'eth0/x' is invalid"),
            (With(VswitchNode.Request("web-1", pod, "c0ffee02", "..")), "interface name '..' is invalid"),
            (With(VswitchNode.Request("web-1", pod, "c0ffee02", "a-very-long-name")), "interface name 'a-very-long-name' is invalid"),
            (With(VswitchNode.Request("web-1", pod, "c0ffee02", "et h0")), "interface name 'et h0' is invalid"),
            (With(VswitchNode.Request("Web_1", pod, "c0ffee02", "eth0")), "pod name 'Web_1' is not a DNS-1123 subdomain"),
        };
        foreach (var (request, expected) in bad)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => _node!.Cni.AddAsync(request, deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains(expected, e.Status.Detail, StringComparison.Ordinal);
        }

        // The same pod with valid input is wired.
        var ok = await _node!.AddPodAsync("web-1", pod, "c0ffee02");
        Assert.Equal(0u, ok.Result);
        await _node.DeletePodAsync("web-1", pod, "c0ffee02");

        static CNIRequest With(CNIRequest r) => r;
    }

    private static bool CanOpen(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    private void WatchModes(string[] paths, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested && _firstSeenModes.Count < paths.Length)
        {
            foreach (var p in paths)
            {
                if (!_firstSeenModes.ContainsKey(p))
                {
                    try
                    {
                        _firstSeenModes[p] = File.GetUnixFileMode(p);
                    }
                    catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
                    {
                    }
                }
            }

            Thread.Yield();
        }
    }

    private async Task WaitReadyAsync()
    {
        using var anonymous = Client(withCredentials: false);
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (true)
        {
            try
            {
                if ((await anonymous.GetAsync(Url("/readiness"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"agent not ready; log:\n{_node!.Tail(_node.AgentLog)}");
            }

            await Task.Delay(200);
        }
    }

    private Uri Url(string path) => new($"https://127.0.0.1:{_node!.RestPort}{path}");

    /// <summary>An HTTPS client that trusts only the test CA (the agent's certificate is for 127.0.0.1).</summary>
    private HttpClient Client(bool withCredentials)
    {
        var handler = new SocketsHttpHandler();
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(_tls!.CaFile));
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        if (withCredentials)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        }

        return client;
    }
}
