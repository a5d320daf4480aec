using System.Collections.Concurrent;
using Contiv.Testing;

namespace Contiv.Store.Tests;

/// <summary>Connection loss and recovery; each test owns its etcd.</summary>
public sealed class ConnectionTests
{
    [Fact]
    public async Task State_goes_connected_disconnected_connected_across_an_etcd_kill_and_restart()
    {
        await using var etcd = await EtcdServer.StartAsync();
        var changes = new ConcurrentQueue<ConnectionStateChangedEventArgs>();
        await using var broker = new EtcdBroker(TestBrokers.Options(etcd.ClientUrl));
        broker.ConnectionStateChanged += (_, e) => changes.Enqueue(e);
        await broker.WaitConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StoreConnectionState.Connected, broker.ConnectionState);

        await etcd.KillAsync();
        await WaitForAsync(() => broker.ConnectionState == StoreConnectionState.Disconnected, TimeSpan.FromSeconds(10));
        var waiting = broker.WaitConnectedAsync();
        Assert.False(waiting.IsCompleted);

        await etcd.StartAgainAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StoreConnectionState.Connected, broker.ConnectionState);

        await WaitForAsync(() => changes.Count >= 3, TimeSpan.FromSeconds(5));
        var seq = changes.ToArray();
        Assert.Equal(
            [(StoreConnectionState.Connecting, StoreConnectionState.Connected), (StoreConnectionState.Connected, StoreConnectionState.Disconnected), (StoreConnectionState.Disconnected, StoreConnectionState.Connected)],
            seq.Take(3).Select(c => (c.Previous, c.Current)));
        Assert.NotNull(seq[1].Error);
        Assert.Contains(etcd.ClientUrl, seq[1].Reason, StringComparison.Ordinal);

        await broker.DisposeAsync();
        Assert.Equal(StoreConnectionState.Closed, broker.ConnectionState);
    }

    [Fact]
    public async Task An_idle_connected_broker_sends_nothing_to_etcd_but_notices_a_quick_restart()
    {
        await using var etcd = await EtcdServer.StartAsync();
        var changes = new ConcurrentQueue<ConnectionStateChangedEventArgs>();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        broker.ConnectionStateChanged += (_, e) => changes.Enqueue(e);
        await WaitForAsync(() => broker.LivenessWatches == 1, TimeSpan.FromSeconds(5));
        await Task.Delay(500); // the watch is established (and the start's Connecting → Connected delivered)
        changes.Clear();

        // Idle: not one request in 5 s (the old monitor read the probe key every HealthInterval = 1 s).
        var ranges = await EtcdRequestsAsync(etcd, "Range");
        var watches = await EtcdRequestsAsync(etcd, "Watch");
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(ranges, await EtcdRequestsAsync(etcd, "Range"));
        Assert.Equal(watches, await EtcdRequestsAsync(etcd, "Watch"));
        Assert.Equal(1, broker.LivenessWatches);
        Assert.Empty(changes);

        // A restart as quick as the test can make it: the watch's end is a lost connection, then a new one.
        await etcd.KillAsync();
        await etcd.StartAgainAsync();
        await WaitForAsync(() => changes.Count >= 2 && broker.ConnectionState == StoreConnectionState.Connected, TimeSpan.FromSeconds(10));
        Assert.Equal(
            [(StoreConnectionState.Connected, StoreConnectionState.Disconnected), (StoreConnectionState.Disconnected, StoreConnectionState.Connected)],
            changes.Take(2).Select(c => (c.Previous, c.Current)));
        await WaitForAsync(() => broker.LivenessWatches >= 2, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_hung_etcd_is_noticed_without_polling_and_so_is_its_return()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        await WaitForAsync(() => broker.LivenessWatches == 1, TimeSpan.FromSeconds(5));
        var pid = etcd.ProcessId!.Value;
        Assert.Equal(0, Shell.Run("kill", ["-STOP", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
        try
        {
            // The connection stays open; HTTP/2 keep-alive pings (10 s, 5 s to answer) end the liveness watch.
            await WaitForAsync(() => broker.ConnectionState == StoreConnectionState.Disconnected, TimeSpan.FromSeconds(30));
        }
        finally
        {
            Shell.Run("kill", ["-CONT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await broker.WaitConnectedAsync(cts.Token);
        await broker.PutAsync("/hung", "1");
    }

    // etcd's own count of the gRPC requests of one method it has started (its /metrics, grpc-prometheus).
    private static async Task<long> EtcdRequestsAsync(EtcdServer etcd, string method)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(etcd.ClientUrl + "/metrics");
        long sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("grpc_server_started_total{", StringComparison.Ordinal) && line.Contains($"grpc_method=\"{method}\"", StringComparison.Ordinal))
            {
                sum += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    [Fact]
    public async Task Requests_wait_out_a_restart_and_fail_clearly_when_etcd_stays_down()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl, o => o with { RetryTimeout = TimeSpan.FromSeconds(3) });
        await broker.PutAsync("/x", "1");

        // Down for a short while: a request (and a transaction, which was never sent) rides it out.
        await etcd.KillAsync();
        var restart = Task.Run(async () =>
        {
            await Task.Delay(1000);
            await etcd.StartAgainAsync();
        });
        Assert.Equal("1", (await broker.GetAsync("/x"))!.Value);
        await restart;
        await etcd.KillAsync();

        // Only once the broker has seen the loss is the transaction certainly not written into the dead
        // connection (sent a moment earlier it ends with "connection reset": maybe applied, and rightly not retried).
        await WaitForAsync(() => broker.ConnectionState == StoreConnectionState.Disconnected, TimeSpan.FromSeconds(10));
        restart = Task.Run(async () =>
        {
            await Task.Delay(1000);
            await etcd.StartAgainAsync();
        });
        var txn = await broker.TxnAsync([TxnCompare.ValueIs("/x", "1")], [TxnOp.Put("/x", "2")]);
        Assert.True(txn.Succeeded);
        await restart;

        // Down for good: the request gives up after RetryTimeout and names the endpoint.
        await etcd.KillAsync();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<StoreUnavailableException>(() => broker.GetAsync("/x"));
        Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(10));
        Assert.Contains(etcd.ClientUrl, ex.Message, StringComparison.Ordinal);
        Assert.Contains("get '/x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_balances_over_endpoints_and_survives_one_being_unreachable()
    {
        await using var etcd = await EtcdServer.StartAsync();
        var dead = $"http://127.0.0.1:{FreePort()}";
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl, o => o with { Endpoints = [dead, etcd.ClientUrl] });
        for (var i = 0; i < 20; i++)
        {
            await broker.PutAsync($"/lb/{i}", "v");
        }

        Assert.Equal(20, await broker.ListKeysAsync("/lb/").CountAsync());
    }

    [Fact]
    public async Task Broker_started_before_etcd_connects_when_it_comes_up()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await etcd.KillAsync();
        await using var broker = new EtcdBroker(TestBrokers.Options(etcd.ClientUrl));
        var put = broker.PutAsync("/early", "1");
        await Task.Delay(500);
        Assert.NotEqual(StoreConnectionState.Connected, broker.ConnectionState);
        await etcd.StartAgainAsync();
        await put.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("1", await etcd.GetAsync("/early"));
        Assert.Equal(StoreConnectionState.Connected, broker.ConnectionState);
    }

    [Fact]
    public async Task Basic_auth_credentials_are_used_and_missing_ones_are_rejected()
    {
        await using var etcd = await StartWithAuthAsync();
        await using var authed = await ConnectAsRootAsync(etcd);
        await authed.PutAsync("/auth/k", "v");
        Assert.Equal("v", (await authed.GetAsync("/auth/k"))!.Value);

        // etcd forgets issued tokens when it restarts: the broker must authenticate again by itself.
        await etcd.RestartAsync();
        Assert.Equal("v", (await authed.GetAsync("/auth/k"))!.Value);
        Assert.True((await authed.TxnAsync([TxnCompare.ValueIs("/auth/k", "v")], [TxnOp.Put("/auth/k", "w")])).Succeeded);

        await using var anonymous = new EtcdBroker(TestBrokers.Options(etcd.ClientUrl));
        var ex = await Assert.ThrowsAnyAsync<StoreException>(() => anonymous.GetAsync("/auth/k"));
        Assert.IsNotType<StoreUnavailableException>(ex);
        Assert.Contains("get '/auth/k'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_racing_a_channel_replacement_with_auth_are_retried_on_the_new_channel()
    {
        // The health monitor replaces a stuck channel and disposes the old client (and with it
        // dotnet-etcd's token state): a request that had just picked up the old client failed with
        // "Internal: Error starting gRPC call. ObjectDisposedException" instead of being retried.
        await using var etcd = await StartWithAuthAsync();
        await using var broker = await ConnectAsRootAsync(etcd);
        await broker.PutAsync("/race/k", "v");

        for (var round = 0; round < 100; round++)
        {
            var gets = Enumerable.Range(0, 16).Select(_ => Task.Run(() => broker.GetAsync("/race/k"))).ToArray();
            broker.RebuildChannel("test: replacing the channel under running requests");
            foreach (var get in gets)
            {
                Assert.Equal("v", (await get)!.Value);
            }
        }

        Assert.True(broker.ChannelRebuilds >= 100, $"{broker.ChannelRebuilds} channel replacements");
    }

    [Theory]
    [InlineData("127.0.0.1:2379", "is not an http:// or https:// URL")]
    [InlineData("ftp://127.0.0.1:2379", "ftp://127.0.0.1:2379")]
    public void Options_reject_bad_endpoints_naming_them(string endpoint, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new EtcdBrokerOptions { Endpoints = [endpoint] }.Validate());
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_reject_half_configured_tls_and_auth()
    {
        Assert.Contains("cert-file", Assert.Throws<ArgumentException>(() => new EtcdBrokerOptions { CertFile = "/tmp/x.pem" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/ca.pem", Assert.Throws<ArgumentException>(() => new EtcdBrokerOptions { CaFile = "/nonexistent/ca.pem" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("username 'u'", Assert.Throws<ArgumentException>(() => new EtcdBrokerOptions { Username = "u" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("mix http and https", Assert.Throws<ArgumentException>(() => new EtcdBrokerOptions { Endpoints = ["http://a:1", "https://b:2"] }.Validate()).Message, StringComparison.Ordinal);
    }

    // A private etcd with authentication on and one user, root:s3cret.
    private static async Task<EtcdServer> StartWithAuthAsync()
    {
        var etcd = await EtcdServer.StartAsync();
        try
        {
            Etcdctl(etcd, "user", "add", "root:s3cret");
            Etcdctl(etcd, "auth", "enable");
            return etcd;
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    private static Task<EtcdBroker> ConnectAsRootAsync(EtcdServer etcd)
        => TestBrokers.ConnectAsync(etcd.ClientUrl, o => o with { Username = "root", Password = "s3cret" });

    private static void Etcdctl(EtcdServer etcd, params string[] args)
        => Shell.Run("/usr/bin/etcdctl", ["--endpoints", etcd.ClientUrl, .. args], env: new Dictionary<string, string?> { ["ETCDCTL_API"] = "3" })
            .EnsureSuccess("etcdctl " + string.Join(' ', args));

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"condition not met within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>TLS with a private CA and client certificates.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task Broker_talks_mutual_tls_with_ca_cert_and_key_and_rejects_a_foreign_ca()
    {
        await using var etcd = await EtcdServer.StartTlsAsync();
        var tls = etcd.Tls!;
        Assert.StartsWith("https://", etcd.ClientUrl, StringComparison.Ordinal);

        await using (var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl, o => o with { CaFile = tls.CaFile, CertFile = tls.ClientCertFile, KeyFile = tls.ClientKeyFile }))
        {
            await broker.PutAsync("/tls/k", "secret");
            Assert.Equal("secret", (await broker.GetAsync("/tls/k"))!.Value);
        }

        Assert.Equal("secret", await etcd.GetAsync("/tls/k"));

        // Trusting another CA: the handshake fails, nothing is written, and the broker says so.
        await using var wrongCa = new EtcdBroker(TestBrokers.Options(etcd.ClientUrl) with
        {
            CaFile = tls.OtherCaFile,
            CertFile = tls.ClientCertFile,
            KeyFile = tls.ClientKeyFile,
            RetryTimeout = TimeSpan.FromSeconds(2),
        });
        await Assert.ThrowsAsync<StoreUnavailableException>(() => wrongCa.PutAsync("/tls/evil", "x"));
        Assert.Equal(StoreConnectionState.Disconnected, wrongCa.ConnectionState);

        // No client certificate: etcd (--client-cert-auth) refuses the connection.
        await using var noCert = new EtcdBroker(TestBrokers.Options(etcd.ClientUrl) with { CaFile = tls.CaFile, RetryTimeout = TimeSpan.FromSeconds(2) });
        await Assert.ThrowsAnyAsync<StoreException>(() => noCert.PutAsync("/tls/evil", "x"));
        Assert.Null(await etcd.GetAsync("/tls/evil"));
    }
}
