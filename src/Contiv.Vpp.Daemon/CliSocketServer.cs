using System.Net.Sockets;
using System.Text;
using Contiv.Vpp.Cli;
using Microsoft.Extensions.Logging;

namespace Contiv.Vpp.Daemon;

/// <summary>
/// The debug CLI on a unix socket. Protocol (used by contiv-vppctl): the client sends one command per
/// line; for each line the server answers with a status byte (<c>+</c> ok, <c>-</c> error), the
/// output text, and a NUL byte. The connection stays open for further commands until the client closes.
/// </summary>
public sealed class CliSocketServer : IAsyncDisposable
{
    private readonly CliEngine _cli;
    private readonly string _path;
    private readonly ILogger _log;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    /// <summary>Longest command line accepted (4 KiB: the longest real command, a trace filter or a route
    /// with a long interface name, is under 200 characters).</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Binds the socket (replacing a stale file) and starts accepting.</summary>
    public CliSocketServer(CliEngine cli, string path, string? group, ILogger log)
    {
        _cli = cli;
        _path = path;
        _log = log;
        // Bound inside a 0700 staging directory and renamed into place once it is 0600 and listening:
        // the socket never appears at its path with looser permissions (docs/security.md).
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
            await using var stream = new NetworkStream(s, ownsSocket: false);
            // Lines are read into a fixed buffer: a client sending endless bytes without a newline is cut
            // off at the limit instead of growing the daemon's memory.
            var buffer = new byte[MaxLineLength + 1];
            var filled = 0;
            try
            {
                while (true)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                    int newline;
                    while ((newline = Array.IndexOf(buffer, (byte)'\n', 0, filled)) >= 0)
                    {
                        var line = Encoding.UTF8.GetString(buffer, 0, newline).TrimEnd('\r');
                        filled -= newline + 1;
                        Buffer.BlockCopy(buffer, newline + 1, buffer, 0, filled);
                        var r = _cli.Execute(line);
                        await stream.WriteAsync(Encoding.UTF8.GetBytes((r.Error ? "-" : "+") + r.Output + "\0"), _stop.Token);
                    }

                    if (filled == buffer.Length)
                    {
                        await stream.WriteAsync(Encoding.UTF8.GetBytes($"-command line exceeds the limit of {MaxLineLength} bytes\0"), _stop.Token);
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                _log.LogDebug(e, "cli connection ended");
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
