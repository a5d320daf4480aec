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
public sealed class CliSocketServer : UnixSocketServer
{
    private readonly CliEngine _cli;
    private readonly ILogger _log;

    /// <summary>Longest command line accepted (4 KiB: the longest real command, a trace filter or a route
    /// with a long interface name, is under 200 characters).</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Binds the socket (replacing a stale file) and starts accepting.</summary>
    public CliSocketServer(CliEngine cli, string path, string? group, ILogger log)
        : base(path, group)
    {
        _cli = cli;
        _log = log;
        Start();
    }

    /// <inheritdoc />
    protected override async Task ServeAsync(Socket s, CancellationToken stop)
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
                var n = await stream.ReadAsync(buffer.AsMemory(filled), stop);
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
                    await stream.WriteAsync(Encoding.UTF8.GetBytes((r.Error ? "-" : "+") + r.Output + "\0"), stop);
                }

                if (filled == buffer.Length)
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes($"-command line exceeds the limit of {MaxLineLength} bytes\0"), stop);
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
