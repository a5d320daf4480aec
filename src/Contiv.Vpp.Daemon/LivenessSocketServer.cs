using System.Net.Sockets;
using System.Text;
using Contiv.Model.Vpp;
using Microsoft.Extensions.Logging;

namespace Contiv.Vpp.Daemon;

/// <summary>
/// The liveness socket (<see cref="DataplaneLiveness"/>): sends the instance identity on connect, then echoes what it
/// receives until the client closes. An open, idle connection costs nothing (a pending receive, no timer); the agent keeps
/// one open instead of a streaming API call. Published like the API socket (mode 0600, or 0660 with a group).
/// </summary>
public sealed class LivenessSocketServer : IAsyncDisposable
{
    private readonly string _path;
    private readonly byte[] _hello;
    private readonly ILogger _log;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    /// <summary>Binds <paramref name="path"/> (replacing a stale file) and starts accepting.</summary>
    public LivenessSocketServer(string path, string? group, string instanceId, ILogger log)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        _path = path;
        _hello = Encoding.UTF8.GetBytes(instanceId + "\n");
        if (_hello.Length > DataplaneLiveness.MaxInstanceLineBytes)
        {
            throw new ArgumentException($"instance identity longer than {DataplaneLiveness.MaxInstanceLineBytes - 1} bytes", nameof(instanceId));
        }

        _log = log;
        var socket = Contiv.Hosting.PrivateUnixSocket.Prepare(path, group);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socket.StagingPath));
        _listener.Listen(16);
        socket.Publish();
        _accept = AcceptLoop();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => Serve(s));
        }
    }

    private async Task Serve(Socket s)
    {
        using (s)
        {
            var buffer = new byte[64];
            try
            {
                await s.SendAsync(_hello, SocketFlags.None, _stop.Token);
                while (true)
                {
                    var n = await s.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    await s.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                _log.LogDebug(e, "liveness connection ended");
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _accept;
        }
        catch (OperationCanceledException)
        {
        }

        File.Delete(_path);
        _stop.Dispose();
    }
}
