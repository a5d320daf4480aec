using System.Globalization;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace Contiv.ApiServer.Http;

/// <summary>
/// <c>pods/{name}/log</c> (<c>kubectl logs [-f] [-c] [--tail]</c>): the container is checked against the pod, then the
/// request goes to the pod's node kubelet (<c>/containerLogs/…</c> on 127.0.0.1 at the Node's
/// <c>daemonEndpoints.kubeletEndpoint.Port</c>: the lab's kubelets run on this host) and its answer is streamed back.
/// </summary>
internal sealed partial class ApiHandler
{
    private static readonly HttpClient KubeletHttp = new() { Timeout = Timeout.InfiniteTimeSpan };

    private async Task PodLogAsync(HttpContext ctx, ResourceType podType, string ns, string name)
    {
        if (!HttpMethods.IsGet(ctx.Request.Method))
        {
            throw ApiException.MethodNotAllowed(ctx.Request.Method.ToLowerInvariant(), "Pod");
        }

        var pod = _registry.Get(podType, ns, name);
        var container = SelectContainer(pod, name, ctx.Request.Query["container"]);
        var kubelet = KubeletUrl(pod, name);
        var q = ctx.Request.Query;
        var query = $"?follow={(IsTrue(q["follow"]) ? "true" : "false")}";
        if (int.TryParse(q["tailLines"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var tail))
        {
            query += "&tailLines=" + tail.ToString(CultureInfo.InvariantCulture);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kubelet, $"containerLogs/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}{query}"));
        HttpResponseMessage response;
        try
        {
            response = await KubeletHttp.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(502, "InternalError", $"cannot reach the kubelet of node {Json.Str(pod, "spec", "nodeName")} at {kubelet}: {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(ctx.RequestAborted);
                throw ApiException.BadRequest($"container \"{container}\" in pod \"{name}\": {text.Trim()}");
            }

            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/plain";
            await using var body = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
            var buffer = new byte[16384];
            int n;
            while ((n = await body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
            {
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
        }
    }

    /// <summary>The container a log or exec request means: the named one, or the only one.</summary>
    private static string SelectContainer(JsonObject pod, string name, string? requested)
    {
        var names = (Json.At(pod, "spec", "containers") as JsonArray ?? []).Select(c => Json.Str(c, "name") ?? string.Empty).ToList();
        if (string.IsNullOrEmpty(requested))
        {
            return names.Count == 1 ? names[0] : throw ApiException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', names)}]");
        }

        return names.Contains(requested) ? requested : throw ApiException.BadRequest($"container {requested} is not valid for pod {name}");
    }

    /// <summary>The kubelet endpoint of the pod's node.</summary>
    private Uri KubeletUrl(JsonObject pod, string name)
    {
        var nodeName = Json.Str(pod, "spec", "nodeName");
        if (string.IsNullOrEmpty(nodeName))
        {
            throw ApiException.BadRequest($"pod {name} does not have a host assigned");
        }

        var nodeType = Catalog.Find(string.Empty, "v1", "nodes")!;
        var node = _registry.TryGet(nodeType, null, nodeName) ?? throw ApiException.BadRequest($"node {nodeName} of pod {name} does not exist");
        var port = Json.Long(Json.At(node, "status", "daemonEndpoints", "kubeletEndpoint", "Port"));
        return port is > 0 ? new Uri($"http://127.0.0.1:{port.Value.ToString(CultureInfo.InvariantCulture)}/")
            : throw ApiException.BadRequest($"node {nodeName} reports no kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port)");
    }
}
