using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Contiv.ApiServer.PortForward;

/// <summary>
/// <c>portforward.k8s.io</c> over one SPDY connection: kubectl opens two streams per local connection, an <c>error</c>
/// stream and a <c>data</c> stream, both with headers <c>port</c> and <c>requestID</c>. Once both of a requestID are
/// there, a WebSocket to the kubelet (<c>/portForward/{ns}/{pod}?port=P</c>, which connects inside the pod's network
/// namespace) carries the bytes: binary messages both ways, an empty binary message is a half-close (FIN), a text
/// message from the kubelet is an error (written to the error stream, as kubelet does, which kubectl prints).
/// </summary>
internal sealed class PortForwarder(Uri kubelet, string ns, string pod, ILogger log)
{
    private readonly Dictionary<string, (SpdyStream? Error, SpdyStream? Data)> _pending = [];
    private readonly List<Task> _forwards = [];

    /// <summary>Serves the connection until the client closes it.</summary>
    public async Task RunAsync(Stream transport, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var connection = new SpdyConnection(transport, s => OnStream(s, cts.Token));
        await connection.RunAsync(cts.Token).ConfigureAwait(false);
        // The client went away: give running forwards a moment to flush, then cut them.
        Task[] running;
        lock (_forwards)
        {
            running = [.. _forwards];
        }

        cts.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    private void OnStream(SpdyStream stream, CancellationToken ct)
    {
        stream.Headers.TryGetValue("streamtype", out var type);
        stream.Headers.TryGetValue("port", out var portText);
        var key = stream.Headers.TryGetValue("requestid", out var id) ? id : "port " + portText;
        lock (_pending)
        {
            _pending.TryGetValue(key, out var pair);
            pair = type switch
            {
                "error" => pair with { Error = stream },
                "data" => pair with { Data = stream },
                _ => pair,
            };
            if (type is not ("error" or "data"))
            {
                log.LogWarning("port-forward {Ns}/{Pod}: stream of unknown type {Type}", ns, pod, type);
                stream.Abandon();
                _ = stream.CloseAsync(ct);
                return;
            }

            if (pair is { Error: { } error, Data: { } data })
            {
                _pending.Remove(key);
                var task = Task.Run(() => ForwardAsync(error, data, portText, ct), CancellationToken.None);
                lock (_forwards)
                {
                    _forwards.RemoveAll(t => t.IsCompleted);
                    _forwards.Add(task);
                }
            }
            else
            {
                _pending[key] = pair;
            }
        }
    }

    private async Task ForwardAsync(SpdyStream error, SpdyStream data, string? portText, CancellationToken ct)
    {
        error.Abandon(); // kubectl writes nothing on it (it half-closes it at once)
        try
        {
            if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
            {
                await FailAsync(error, data, $"invalid port \"{portText}\"", ct).ConfigureAwait(false);
                return;
            }

            using var ws = new ClientWebSocket();
            var target = new Uri(kubelet, $"portForward/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(pod)}?port={port.ToString(CultureInfo.InvariantCulture)}");
            try
            {
                await ws.ConnectAsync(new UriBuilder(target) { Scheme = "ws" }.Uri, ct).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                await FailAsync(error, data, $"cannot reach the kubelet for port-forward: {e.Message}", ct).ConfigureAwait(false);
                return;
            }

            var up = UpAsync(data, ws, ct);
            var failure = await DownAsync(ws, data, ct).ConfigureAwait(false);
            if (failure is not null)
            {
                await error.WriteAsync(Encoding.UTF8.GetBytes(failure), ct).ConfigureAwait(false);
            }

            await error.CloseAsync(ct).ConfigureAwait(false);
            await data.CloseAsync(ct).ConfigureAwait(false);
            if (failure is not null)
            {
                data.Abandon();
            }

            await up.ConfigureAwait(false);
            if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            log.LogDebug("port-forward {Ns}/{Pod}: {Message}", ns, pod, e.Message);
            data.Abandon();
        }
    }

    private static async Task FailAsync(SpdyStream error, SpdyStream data, string message, CancellationToken ct)
    {
        data.Abandon();
        await error.WriteAsync(Encoding.UTF8.GetBytes(message), ct).ConfigureAwait(false);
        await error.CloseAsync(ct).ConfigureAwait(false);
        await data.CloseAsync(ct).ConfigureAwait(false);
    }

    /// <summary>kubectl → pod: every chunk as a binary message, the client's FIN as an empty one.</summary>
    private static async Task UpAsync(SpdyStream data, ClientWebSocket ws, CancellationToken ct)
    {
        try
        {
            while (await data.ReadAsync(ct).ConfigureAwait(false) is { } chunk)
            {
                await ws.SendAsync(chunk, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
            }

            if (ws.State == WebSocketState.Open)
            {
                await ws.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            ws.Abort();
        }
    }

    /// <summary>pod → kubectl until the kubelet's FIN (empty message) or close; returns the kubelet's error text, if any.</summary>
    private static async Task<string?> DownAsync(ClientWebSocket ws, SpdyStream data, CancellationToken ct)
    {
        var buffer = new byte[32768];
        var text = new StringBuilder();
        var messageLength = 0;
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            switch (r.MessageType)
            {
                case WebSocketMessageType.Close:
                    return text.Length > 0 ? text.ToString() : null;
                case WebSocketMessageType.Text:
                    text.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
                    continue;
            }

            messageLength += r.Count;
            if (r.Count > 0)
            {
                await data.WriteAsync(buffer.AsMemory(0, r.Count), ct).ConfigureAwait(false);
            }

            if (r.EndOfMessage)
            {
                if (messageLength == 0)
                {
                    return null; // the pod closed its side
                }

                messageLength = 0;
            }
        }
    }
}
