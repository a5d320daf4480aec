using Contiv.Linux;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

public sealed class NetworkNamespaceTests : IDisposable
{
    private readonly NetnsScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private string OwnName(string name) => $"{NetnsScope.Prefix}{_scope.Tag}-{name}";

    private static void RemoveWithIp(string name) => Shell.Run($"ip netns del {name}");

    [RootFact]
    public void Create_makes_a_namespace_that_ip_netns_lists_and_enters()
    {
        var name = OwnName("lib");
        try
        {
            using var ns = NetworkNamespace.Create(name);
            Assert.Equal(name, ns.Name);
            Assert.Equal($"/run/netns/{name}", ns.Path);
            Assert.Contains(name, Shell.Ip("netns list").Split('\n').Select(l => l.Split(' ')[0]));
            Assert.Contains(name, NetworkNamespace.List());

            // ip sees a fresh namespace: only a loopback, and it is not the root namespace.
            var links = Shell.Ip($"-n {name} -o link show");
            Assert.Single(links.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(" lo:", links, StringComparison.Ordinal);
            using var root = NetworkNamespace.OpenProcess(Environment.ProcessId);
            Assert.NotEqual(root.Id, ns.Id);
        }
        finally
        {
            RemoveWithIp(name);
        }
    }

    [RootFact]
    public void Create_an_existing_name_is_already_exists()
    {
        var name = _scope.Create("dup");
        var e = Assert.Throws<NetlinkException>(() => NetworkNamespace.Create(name));
        Assert.True(e.IsAlreadyExists, e.Message);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public void Delete_removes_a_namespace_created_by_ip_and_a_missing_one_is_not_found()
    {
        var name = OwnName("del");
        Shell.Ip($"netns add {name}");
        try
        {
            NetworkNamespace.Delete(name);
            Assert.False(NetworkNamespace.Exists(name));
            Assert.DoesNotContain(name, Shell.Ip("netns list"), StringComparison.Ordinal);
            var e = Assert.Throws<NetlinkException>(() => NetworkNamespace.Delete(name));
            Assert.True(e.IsNotFound, e.Message);
        }
        finally
        {
            RemoveWithIp(name);
        }
    }

    [RootFact]
    public void Open_a_missing_namespace_is_not_found()
    {
        var e = Assert.Throws<NetlinkException>(() => NetworkNamespace.Open(OwnName("missing")));
        Assert.True(e.IsNotFound, e.Message);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public void Open_by_name_and_by_path_refer_to_the_same_namespace()
    {
        var name = _scope.Create("paths");
        using var byName = NetworkNamespace.Open(name);
        using var byPath = NetworkNamespace.Open($"/var/run/netns/{name}");
        Assert.Equal(byName.Id, byPath.Id);
        Assert.Equal(name, byPath.Name);
        using var self = NetworkNamespace.OpenProcess(Environment.ProcessId);
        using var current = NetworkNamespace.OpenCurrent();
        Assert.Equal(self.Id, current.Id);
        Assert.NotEqual(self.Id, byName.Id);
    }

    [RootFact]
    public void Run_executes_on_a_dedicated_thread_inside_the_namespace_and_leaves_the_caller_alone()
    {
        var name = _scope.Create("run");
        using var ns = NetworkNamespace.Open(name);
        using var before = NetworkNamespace.OpenCurrent();
        var (inside, poolThread, callerThread) = ns.Run(() =>
        {
            using var here = NetworkNamespace.OpenCurrent();
            return (here.Id, Thread.CurrentThread.IsThreadPoolThread, Environment.CurrentManagedThreadId);
        });
        Assert.Equal(ns.Id, inside);
        Assert.False(poolThread);
        Assert.NotEqual(Environment.CurrentManagedThreadId, callerThread);
        using var after = NetworkNamespace.OpenCurrent();
        Assert.Equal(before.Id, after.Id);

        // A socket opened in there sees the namespace's links only (just lo).
        using var nl = RtNetlink.Open(ns);
        Assert.Equal(["lo"], nl.GetLinks().Select(l => l.Name));
    }

    [RootFact]
    public void Run_rethrows_the_action_exception()
    {
        using var ns = NetworkNamespace.Open(_scope.Create("throw"));
        var e = Assert.Throws<InvalidOperationException>(() => ns.Run<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
    }

    [RootFact]
    public async Task RunAsync_returns_the_result_from_inside_the_namespace()
    {
        using var ns = NetworkNamespace.Open(_scope.Create("async"));
        var id = await ns.RunAsync(() =>
        {
            using var here = NetworkNamespace.OpenCurrent();
            return here.Id;
        });
        Assert.Equal(ns.Id, id);
        await Assert.ThrowsAsync<ArgumentException>(() => ns.RunAsync<int>(() => throw new ArgumentException("bad")));
    }

    [RootFact]
    public async Task NamespaceThread_runs_queued_operations_on_one_thread_inside_the_namespace()
    {
        using var ns = NetworkNamespace.Open(_scope.Create("worker"));
        using var worker = ns.StartThread();
        var ids = new List<(ulong Ns, int Thread)>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await worker.RunAsync(() =>
            {
                using var here = NetworkNamespace.OpenCurrent();
                return (here.Id, Environment.CurrentManagedThreadId);
            }));
        }

        Assert.All(ids, x => Assert.Equal(ns.Id, x.Ns));
        Assert.Single(ids.Select(x => x.Thread).Distinct());
        Assert.Equal(7, worker.Run(() => worker.Run(() => 7))); // nested call runs inline
        Assert.Throws<FormatException>(() => worker.Run<int>(() => throw new FormatException("x")));
    }

    [RootFact]
    public void Sysctl_reads_and_writes_the_namespace_own_values()
    {
        var name = _scope.Create("sysctl");
        using var ns = NetworkNamespace.Open(name);
        var rootValue = File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim();
        var want = rootValue == "1" ? "0" : "1";
        NetworkSysctl.Write(ns, "net.ipv4.ip_forward", want);
        Assert.Equal(want, NetworkSysctl.Read(ns, "net/ipv4/ip_forward"));
        Assert.Equal(want, Shell.Ip($"netns exec {name} cat /proc/sys/net/ipv4/ip_forward").Trim());
        Assert.Equal(rootValue, File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
    }

    [RootFact]
    public async Task Dotnet_sockets_created_inside_a_namespace_work_from_any_thread()
    {
        using var ns = NetworkNamespace.Open(_scope.Create("sock"));

        // An address that exists only in this namespace: binding to it works only inside.
        var own = System.Net.IPAddress.Parse("10.55.0.1");
        using (var nl = RtNetlink.Open(ns))
        {
            nl.AddAddress(nl.GetLinkIndex("lo"), own, 32);
        }

        using var listener = ns.Run(() =>
        {
            var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            s.Bind(new System.Net.IPEndPoint(own, 0));
            s.Listen();
            return s;
        });
        var endpoint = (System.Net.IPEndPoint)listener.LocalEndPoint!;
        using var client = ns.Run(() => new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));

        // Connect, accept and transfer on thread-pool threads: the sockets stay in the namespace.
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(endpoint);
        using var server = await accept;
        await client.SendAsync(new byte[] { 42 });
        var buffer = new byte[1];
        Assert.Equal(1, await server.ReceiveAsync(buffer));
        Assert.Equal(42, buffer[0]);
    }

    [RootFact]
    public void Sysctl_errors_name_the_key_and_tell_missing_from_invalid()
    {
        var name = _scope.Create("sysctlerr");
        using var ns = NetworkNamespace.Open(name);
        var missing = Assert.Throws<NetlinkException>(() => NetworkSysctl.Write(ns, "net.ipv4.conf.nosuch0.rp_filter", "0"));
        Assert.True(missing.IsNotFound, missing.Message);
        Assert.Contains("net.ipv4.conf.nosuch0.rp_filter", missing.Message, StringComparison.Ordinal);
        Assert.Equal(name, missing.NamespaceName);
        var invalid = Assert.Throws<NetlinkException>(() => NetworkSysctl.Write(ns, "net.ipv4.conf.all.rp_filter", "banana"));
        Assert.Equal("EINVAL", invalid.ErrnoName);
        Assert.Throws<ArgumentException>(() => NetworkSysctl.Read(ns, "kernel.hostname"));
    }

    [RootFact]
    public async Task Continuations_of_async_runs_never_start_threads_inside_the_namespace()
    {
        // A context that starts a new OS thread per Post (as xUnit's does): the thread inherits the
        // namespace of whichever thread completes the task, so it reveals where completion happened.
        using var ns = NetworkNamespace.Open(_scope.Create("leak"));
        var home = new FileInfo("/proc/self/ns/net").LinkTarget;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new ThreadPerPostContext());
        string? afterRunAsync, afterWorker;
        try
        {
            Assert.Equal(1, await ns.RunAsync(() => 1));
            afterRunAsync = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
            using var worker = ns.StartThread();
            Assert.Equal(2, await worker.RunAsync(() => 2));
            afterWorker = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.Equal(home, afterRunAsync);
        Assert.Equal(home, afterWorker);
    }

    private sealed class ThreadPerPostContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => new Thread(() => d(state)) { IsBackground = true }.Start();
    }
}
