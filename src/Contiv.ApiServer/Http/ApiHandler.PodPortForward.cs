using Contiv.ApiServer.PortForward;
using Contiv.ApiServer.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Contiv.ApiServer.Http;

/// <summary>
/// <c>pods/{name}/portforward</c> (<c>kubectl port-forward</c>): the <c>portforward.k8s.io</c> protocol over SPDY/3.1,
/// either tunnelled in a WebSocket (sub-protocol <c>SPDY/3.1+portforward.k8s.io</c>, the GET kubectl 1.30+ tries
/// first) or on a connection upgraded to <c>SPDY/3.1</c> (the POST kubectl falls back to). Each forwarded connection
/// goes to the pod's node kubelet (<see cref="PortForwarder"/>).
/// </summary>
internal sealed partial class ApiHandler
{
    private const string PortForwardProtocol = "portforward.k8s.io";
    private const string PortForwardTunnelProtocol = "SPDY/3.1+portforward.k8s.io";

    private async Task PodPortForwardAsync(HttpContext ctx, ResourceType podType, string ns, string name)
    {
        var pod = _registry.Get(podType, ns, name);
        var phase = Json.Str(pod, "status", "phase");
        if (phase != "Running")
        {
            throw ApiException.BadRequest($"pod {name} is not running (phase {phase ?? "unknown"}): port-forward needs a running pod");
        }

        var kubelet = KubeletUrl(pod, name);
        var forwarder = new PortForwarder(kubelet, ns, name, _log);
        if (ctx.WebSockets.IsWebSocketRequest)
        {
            if (!ctx.WebSockets.WebSocketRequestedProtocols.Contains(PortForwardTunnelProtocol))
            {
                throw ApiException.BadRequest($"port-forward over WebSocket needs the sub-protocol {PortForwardTunnelProtocol}; got [{string.Join(", ", ctx.WebSockets.WebSocketRequestedProtocols)}]");
            }

            // .NET refuses sub-protocol names with '/' (not an RFC 6455 token), so the header is set by hand.
            ctx.Response.Headers.SecWebSocketProtocol = PortForwardTunnelProtocol;
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
            await using var tunnel = new WebSocketByteStream(ws);
            await forwarder.RunAsync(tunnel, ctx.RequestAborted);
            return;
        }

        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        var upgradeTo = ctx.Request.Headers.Upgrade.ToString();
        if (upgrade is not { IsUpgradableRequest: true } || !upgradeTo.Contains("SPDY/3.1", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadRequest($"port-forward needs an upgrade to SPDY/3.1 or a WebSocket with the sub-protocol {PortForwardTunnelProtocol}");
        }

        var offered = ctx.Request.Headers["X-Stream-Protocol-Version"].SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries));
        if (!offered.Contains(PortForwardProtocol))
        {
            throw ApiException.BadRequest($"port-forward needs the stream protocol {PortForwardProtocol} (X-Stream-Protocol-Version)");
        }

        ctx.Response.Headers.Upgrade = "SPDY/3.1";
        ctx.Response.Headers["X-Stream-Protocol-Version"] = PortForwardProtocol;
        await using var stream = await upgrade.UpgradeAsync();
        _log.LogDebug("port-forward {Ns}/{Pod} over SPDY/3.1", ns, name);
        await forwarder.RunAsync(stream, ctx.RequestAborted);
    }
}
