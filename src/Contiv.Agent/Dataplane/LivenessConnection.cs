using System.Net.Sockets;
using System.Text;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// The agent's end of the data plane's liveness socket (<see cref="DataplaneLiveness"/>): knows which instance it is
/// connected to, notices the end of the connection (the data plane exited) and pings on request. Idle, it is one
/// pending receive: no timer, no thread.
/// </summary>
internal sealed class LivenessConnection : IDisposable
{
    private static readonly byte[] Ping = [(byte)'?'];
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64];
    private Task<int>? _receive;

    private LivenessConnection(Socket socket, string instance)
    {
        _socket = socket;
        Instance = instance;
    }

    /// <summary>Instance identity the data plane sent on connect.</summary>
    public string Instance { get; }

    /// <summary>
    /// Connects to <paramref name="path"/> and reads the instance line; null when there is no socket, nobody accepts, or no
    /// well-formed line arrives within <paramref name="timeout"/> (a hung data plane).
    /// </summary>
    public static async Task<LivenessConnection?> TryOpenAsync(string path, TimeSpan timeout, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token).ConfigureAwait(false);
            var line = new byte[DataplaneLiveness.MaxInstanceLineBytes];
            var filled = 0;
            while (filled < line.Length)
            {
                var n = await socket.ReceiveAsync(line.AsMemory(filled), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                filled += n;
                var newline = Array.IndexOf(line, (byte)'\n', 0, filled);
                if (newline >= 0)
                {
                    // Nothing may follow the line before the first ping.
                    if (newline != filled - 1 || newline == 0)
                    {
                        break;
                    }

                    return new LivenessConnection(socket, Encoding.UTF8.GetString(line, 0, newline));
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
        }

        socket.Dispose();
        return null;
    }

    /// <summary>
    /// Waits until the connection ends — true — or <paramref name="ct"/> is cancelled — false. Every
    /// <paramref name="pingInterval"/> it pings; an echo missing for <paramref name="pingTimeout"/> counts as an end (the data
    /// plane is alive but does not answer).
    /// </summary>
    public async Task<bool> WatchAsync(TimeSpan pingInterval, TimeSpan pingTimeout, TimeProvider time, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            _receive ??= ReceiveAsync();
            if (!await ReceivedWithinAsync(pingInterval, time, ct).ConfigureAwait(false))
            {
                if (ct.IsCancellationRequested)
                {
                    return false;
                }

                try
                {
                    await _socket.SendAsync(Ping, SocketFlags.None, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return true;
                }

                if (!await ReceivedWithinAsync(pingTimeout, time, ct).ConfigureAwait(false))
                {
                    return !ct.IsCancellationRequested;
                }
            }

            var n = await _receive.ConfigureAwait(false);
            _receive = null;
            if (n == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();

    /// <summary>Whether the pending receive completes within <paramref name="timeout"/> (false also when cancelled).</summary>
    private async Task<bool> ReceivedWithinAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, time, wait.Token);
        var first = await Task.WhenAny(_receive!, delay).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false); // drops the timer when the receive came first
        return first == _receive;
    }

    /// <summary>Bytes received (an echo), or 0 when the connection ended or failed.</summary>
    private async Task<int> ReceiveAsync()
    {
        try
        {
            return await _socket.ReceiveAsync(_buffer, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return 0;
        }
    }
}
