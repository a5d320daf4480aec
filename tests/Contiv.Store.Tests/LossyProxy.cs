using System.Net;
using System.Net.Sockets;

namespace Contiv.Store.Tests;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of etcd that can lose answers: once armed, it still forwards
/// the next request to etcd but drops everything etcd sends back, then resets the connections. A
/// write in flight is applied by etcd while the client only sees a broken connection — the
/// ambiguous failure that conditional writes must handle.
/// </summary>
internal sealed class LossyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _pairs = [];
    private readonly Task _accept;
    private volatile bool _dropAnswers;
    private TaskCompletionSource _requestSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LossyProxy(string targetUrl)
    {
        var u = new Uri(targetUrl);
        _target = new IPEndPoint(IPAddress.Parse(u.Host), u.Port);
        _listener.Start();
        _accept = Task.Run(AcceptLoopAsync);
    }

    /// <summary>URL clients use instead of etcd's.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Arms the proxy: the next bytes from a client reach etcd, etcd's answer is dropped, and after <paramref name="hold"/> all connections are reset; then the proxy works normally again.</summary>
    public async Task LoseNextAnswerAsync(TimeSpan hold)
    {
        lock (_lock)
        {
            _requestSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _dropAnswers = true;
        }

        await _requestSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(hold);
        List<(TcpClient, TcpClient)> pairs;
        lock (_lock)
        {
            pairs = [.. _pairs];
            _pairs.Clear();
        }

        foreach (var (c, s) in pairs)
        {
            c.Client.LingerState = new LingerOption(true, 0); // RST, not FIN
            c.Dispose();
            s.Dispose();
        }

        _dropAnswers = false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_lock)
        {
            foreach (var (c, s) in _pairs)
            {
                c.Dispose();
                s.Dispose();
            }

            _pairs.Clear();
        }

        try
        {
            await _accept;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
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

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_lock)
            {
                _pairs.Add((client, server));
            }

            _ = PumpAsync(client, server, upstream: true);
            _ = PumpAsync(server, client, upstream: false);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool upstream)
    {
        var buf = new byte[16 * 1024];
        try
        {
            var src = from.GetStream();
            var dst = to.GetStream();
            while (true)
            {
                var n = await src.ReadAsync(buf, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                if (upstream)
                {
                    await dst.WriteAsync(buf.AsMemory(0, n), _stop.Token);
                    if (_dropAnswers)
                    {
                        _requestSeen.TrySetResult();
                    }
                }
                else if (!_dropAnswers)
                {
                    await dst.WriteAsync(buf.AsMemory(0, n), _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // connection reset by the test or a peer
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
