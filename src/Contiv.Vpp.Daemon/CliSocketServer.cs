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

    /// <summary>Binds the socket (replacing a stale file) and starts accepting.</summary>
    public CliSocketServer(CliEngine cli, string path, ILogger log)
    {
        _cli = cli;
        _path = path;
        _log = log;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(16);
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
            using var reader = new StreamReader(stream, Encoding.UTF8);
            try
            {
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var r = _cli.Execute(line);
                    var bytes = Encoding.UTF8.GetBytes((r.Error ? "-" : "+") + r.Output + "\0");
                    await stream.WriteAsync(bytes, _stop.Token);
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
