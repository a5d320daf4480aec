using System.Net.Sockets;

namespace Contiv.Vpp.Daemon;

/// <summary>
/// A unix socket the daemon serves itself (the CLI and liveness sockets; the API is Kestrel's): bound inside a 0700
/// staging directory and renamed into place once it is 0600 (0660 with a group) and listening, so it never appears at
/// its path with looser permissions (docs/security.md); each accepted connection is served on the thread pool until it
/// ends or the server is disposed, which also removes the socket file.
/// </summary>
public abstract class UnixSocketServer : IAsyncDisposable
{
    private readonly string _path;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task _accept = Task.CompletedTask;

    /// <summary>Binds <paramref name="path"/> (replacing a stale file) and publishes it; <see cref="Start"/> begins accepting.</summary>
    protected UnixSocketServer(string path, string? group)
    {
        _path = path;
        var socket = Contiv.Hosting.PrivateUnixSocket.Prepare(path, group);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socket.StagingPath));
        _listener.Listen(16);
        socket.Publish();
    }

    /// <summary>Starts accepting (called by the derived constructor once its own fields are set).</summary>
    protected void Start() => _accept = AcceptLoop();

    /// <summary>Serves one connection until it ends; the socket is disposed afterwards.</summary>
    protected abstract Task ServeAsync(Socket connection, CancellationToken stop);

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

            _ = Task.Run(async () =>
            {
                using (s)
                {
                    await ServeAsync(s, _stop.Token);
                }
            });
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
        GC.SuppressFinalize(this);
    }
}
