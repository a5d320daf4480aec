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
public sealed class LivenessSocketServer : UnixSocketServer
{
    private readonly byte[] _hello;
    private readonly ILogger _log;

    /// <summary>Binds <paramref name="path"/> (replacing a stale file) and starts accepting.</summary>
    /// <exception cref="ArgumentException">The instance identity is empty or too long (checked before anything is bound).</exception>
    public LivenessSocketServer(string path, string? group, string instanceId, ILogger log)
        : this(path, group, HelloLine(instanceId), log)
    {
    }

    private LivenessSocketServer(string path, string? group, byte[] hello, ILogger log)
        : base(path, group)
    {
        _hello = hello;
        _log = log;
        Start();
    }

    private static byte[] HelloLine(string instanceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var hello = Encoding.UTF8.GetBytes(instanceId + "\n");
        return hello.Length <= DataplaneLiveness.MaxInstanceLineBytes
            ? hello
            : throw new ArgumentException($"instance identity longer than {DataplaneLiveness.MaxInstanceLineBytes - 1} bytes", nameof(instanceId));
    }

    /// <inheritdoc />
    protected override async Task ServeAsync(Socket s, CancellationToken stop)
    {
        var buffer = new byte[64];
        try
        {
            await s.SendAsync(_hello, SocketFlags.None, stop);
            while (true)
            {
                var n = await s.ReceiveAsync(buffer, SocketFlags.None, stop);
                if (n == 0)
                {
                    return;
                }

                await s.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _log.LogDebug(e, "liveness connection ended");
        }
    }
}
