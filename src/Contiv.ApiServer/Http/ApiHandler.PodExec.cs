using System.Net.WebSockets;
using Contiv.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace Contiv.ApiServer.Http;

/// <summary>
/// <c>pods/{name}/exec</c> (<c>kubectl exec [-it] -- cmd</c>) over the WebSocket channel protocol
/// (<c>v5.channel.k8s.io</c> or <c>v4.channel.k8s.io</c>, what kubectl 1.32 tries first): the request is checked against
/// the pod, then a WebSocket to the pod's node kubelet (<c>/exec/…</c>) carries the same sub-protocol and every message is
/// relayed unchanged in both directions until both sides closed. SPDY (kubectl's fallback) is not served.
/// </summary>
internal sealed partial class ApiHandler
{
    private static readonly string[] ExecProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    private async Task PodExecAsync(HttpContext ctx, ResourceType podType, string ns, string name)
    {
        var pod = _registry.Get(podType, ns, name);
        var container = SelectContainer(pod, name, ctx.Request.Query["container"]);
        var phase = Json.Str(pod, "status", "phase");
        if (phase is "Succeeded" or "Failed")
        {
            throw ApiException.BadRequest($"cannot exec into a container in a completed pod; current phase is {phase}");
        }

        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            throw ApiException.BadRequest($"exec is served over WebSocket ({string.Join(", ", ExecProtocols)}) only; SPDY upgrades are not supported by the lab API server");
        }

        var protocol = ExecProtocols.FirstOrDefault(p => ctx.WebSockets.WebSocketRequestedProtocols.Contains(p))
            ?? throw ApiException.BadRequest($"exec needs one of the WebSocket sub-protocols {string.Join(", ", ExecProtocols)}; got [{string.Join(", ", ctx.WebSockets.WebSocketRequestedProtocols)}]");
        var kubelet = KubeletUrl(pod, name);
        var target = new UriBuilder(kubelet) { Scheme = "ws", Path = $"exec/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}", Query = ctx.Request.QueryString.Value?.TrimStart('?') ?? string.Empty }.Uri;
        // kubectl's WebSocket first, then the kubelet's (as the real API server's stream translator does): kubectl sets
        // up its streams right after its upgrade, and a message of the command's that came before would be dropped
        // ("Unknown stream id 1, discarding message") — with the kubelet connected first, the command's first output
        // could follow the 101 response immediately.
        using var client = await ctx.WebSockets.AcceptWebSocketAsync(protocol);
        using var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol(protocol);
        try
        {
            await upstream.ConnectAsync(target, ctx.RequestAborted);
        }
        catch (WebSocketException e)
        {
            // Too late for an HTTP status: a Failure Status on the error channel (3), as a kubelet sends one.
            var status = new System.Text.Json.Nodes.JsonObject
            {
                ["metadata"] = new System.Text.Json.Nodes.JsonObject(),
                ["status"] = "Failure",
                ["message"] = $"cannot reach the kubelet of node {Json.Str(pod, "spec", "nodeName")} for exec: {e.Message}",
                ["reason"] = "InternalError",
                ["code"] = 502,
            };
            await client.SendAsync((byte[])[3, .. System.Text.Encoding.UTF8.GetBytes(status.ToJsonString())], WebSocketMessageType.Binary, true, ctx.RequestAborted);
            await CloseAndWaitAsync(client, ctx.RequestAborted);
            return;
        }

        await Task.WhenAll(RelayAsync(client, upstream, ctx.RequestAborted), RelayAsync(upstream, client, ctx.RequestAborted));
    }

    /// <summary>Our close frame, then the peer's read (up to 2 s) before the connection goes: dropping it earlier resets it before kubectl read the Status.</summary>
    private static async Task CloseAndWaitAsync(WebSocket ws, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(TimeSpan.FromSeconds(2));
        var buffer = new byte[1024];
        try
        {
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, wait.Token);
            while (ws.State == WebSocketState.CloseSent && (await ws.ReceiveAsync(buffer, wait.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // No close frame in time: the connection goes anyway.
        }
    }

    /// <summary>Copies messages from one WebSocket to the other until <paramref name="from"/> closes, then closes <paramref name="to"/>'s output.</summary>
    private static async Task RelayAsync(WebSocket from, WebSocket to, CancellationToken ct)
    {
        var buffer = new byte[32768];
        try
        {
            while (true)
            {
                var r = await from.ReceiveAsync(buffer, ct);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await to.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, ct);
                    }

                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side went away: drop the other.
            to.Abort();
        }
    }
}
