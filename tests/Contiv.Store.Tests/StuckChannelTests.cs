using System.Net;
using System.Net.Sockets;
using Contiv.Testing;

namespace Contiv.Store.Tests;

/// <summary>
/// The broker replaces its gRPC channel when etcd's endpoint accepts TCP connections but the
/// channel's calls keep failing (after an etcd restart the channel was seen waiting in the
/// balancer for ever), and does not when the endpoint refuses connections (etcd down).
/// </summary>
public sealed class StuckChannelTests
{
    /// <summary>A TCP proxy to etcd that can turn into a black hole: connections accepted, nothing answered.</summary>
    private sealed class BlackHoleProxy : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly IPEndPoint _target;
        private readonly List<Socket> _open = [];
        private readonly Lock _lock = new();

        public BlackHoleProxy(string targetUrl)
        {
            var u = new Uri(targetUrl);
            _target = new IPEndPoint(IPAddress.Parse(u.Host), u.Port);
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public volatile bool BlackHole;

        /// <summary>Resets every open connection, so clients must connect again.</summary>
        public void ResetAll()
        {
            lock (_lock)
            {
                foreach (var s in _open)
                {
                    s.LingerState = new LingerOption(true, 0);
                    s.Dispose();
                }

                _open.Clear();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            ResetAll();
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptSocketAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                lock (_lock)
                {
                    _open.Add(client);
                }

                if (BlackHole)
                {
                    continue; // held open, never read, never answered
                }

                var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await server.ConnectAsync(_target);
                lock (_lock)
                {
                    _open.Add(server);
                }

                _ = Pump(client, server);
                _ = Pump(server, client);
            }
        }

        private static async Task Pump(Socket from, Socket to)
        {
            var buf = new byte[16384];
            try
            {
                int n;
                while ((n = await from.ReceiveAsync(buf)) > 0)
                {
                    await to.SendAsync(buf.AsMemory(0, n));
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    [Fact]
    public async Task A_channel_whose_calls_hang_on_an_accepting_endpoint_is_replaced_and_recovers()
    {
        await using var etcd = await EtcdServer.StartAsync();
        using var proxy = new BlackHoleProxy(etcd.ClientUrl);
        await using var broker = await TestBrokers.ConnectAsync(proxy.Url);
        await broker.PutAsync("/stuck", "1");

        proxy.BlackHole = true;
        proxy.ResetAll();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (broker.ChannelRebuilds == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(broker.ChannelRebuilds > 0, $"no channel rebuild while the endpoint accepted but never answered (state {broker.ConnectionState})");

        proxy.BlackHole = false;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        await broker.WaitConnectedAsync(cts.Token);
        Assert.Equal("1", (await broker.GetAsync("/stuck"))!.Value);
    }

    [Fact]
    public async Task An_endpoint_that_refuses_connections_does_not_make_the_broker_rebuild()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var broker = await TestBrokers.ConnectAsync(etcd.ClientUrl);
        await etcd.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Equal(StoreConnectionState.Disconnected, broker.ConnectionState);
        Assert.Equal(0, broker.ChannelRebuilds);
        await etcd.StartAgainAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await broker.WaitConnectedAsync(cts.Token);
    }
}
