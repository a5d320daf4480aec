using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Contiv.Linux;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// <c>/portForward/{namespace}/{pod}?port=P</c> over a WebSocket, for the API server's <c>pods/portforward</c>: one
/// WebSocket per forwarded connection. The kubelet connects to 127.0.0.1:P inside the pod's network namespace (as
/// kubelet does; the socket is created on a dedicated thread that entered the namespace, thread-pool threads never change
/// namespace) and relays: binary messages both ways, an empty binary message is a half-close, a text message is the
/// error of a failed connect (then the WebSocket closes).
/// </summary>
internal static class KubeletPortForward
{
    /// <summary>Serves one forwarded connection; <paramref name="netnsPath"/> "" connects from the kubelet's own namespace.</summary>
    public static async Task RunAsync(HttpListenerContext ctx, string netnsPath, string podName, CancellationToken ct)
    {
        if (!ushort.TryParse(ctx.Request.QueryString["port"], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("port-forward needs ?port=1..65535"), ct).ConfigureAwait(false);
            return;
        }

        var wsContext = await ctx.AcceptWebSocketAsync(null).ConfigureAwait(false);
        using var ws = wsContext.WebSocket;
        Socket socket;
        try
        {
            socket = await ConnectAsync(netnsPath, port, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or InvalidOperationException)
        {
            var message = $"failed to connect to localhost:{port.ToString(CultureInfo.InvariantCulture)} inside namespace of pod \"{podName}\": {e.Message}";
            await ws.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
            return;
        }

        using (socket)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var down = DownAsync(socket, ws, cts.Token);
            var up = UpAsync(ws, socket, cts.Token);
            var first = await Task.WhenAny(up, down).ConfigureAwait(false);
            if (first == up && up.Result == false)
            {
                await cts.CancelAsync().ConfigureAwait(false); // the API server went away: drop the pod connection
            }

            await Task.WhenAll(up, down).ConfigureAwait(false);
            if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async Task<Socket> ConnectAsync(string netnsPath, int port, CancellationToken ct)
    {
        Socket socket;
        if (netnsPath.Length == 0)
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }
        else
        {
            using var netns = NetworkNamespace.Open(netnsPath);
            socket = await netns.RunAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ConfigureAwait(false);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token).ConfigureAwait(false);
            socket.NoDelay = true;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>API server → pod; true when the API server half-closed (empty message), false when the WebSocket ended.</summary>
    private static async Task<bool> UpAsync(WebSocket ws, Socket socket, CancellationToken ct)
    {
        var buffer = new byte[32768];
        var messageLength = 0;
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return false;
                }

                messageLength += r.Count;
                if (r.Count > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, r.Count), SocketFlags.None, ct).ConfigureAwait(false);
                }

                if (r.EndOfMessage)
                {
                    if (messageLength == 0)
                    {
                        socket.Shutdown(SocketShutdown.Send);
                        return true;
                    }

                    messageLength = 0;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Pod → API server until the pod closes its side (then an empty message).</summary>
    private static async Task DownAsync(Socket socket, WebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[32768];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false)) > 0)
            {
                await ws.SendAsync(buffer.AsMemory(0, n), WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
            }

            await ws.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
