using System.Net;
using System.Net.Sockets;
using Contiv.Ui.Config;

namespace Contiv.Ui.Proxy;

/// <summary>
/// The UI backend's proxies (SPEC §1.9): <c>/api/k8s/&lt;path&gt;</c> to the Kubernetes API and
/// <c>/api/contiv/&lt;path&gt;?vswitch=&lt;ip&gt;</c> to a node's agent, <c>POST /api/netctl</c> to contiv-crd. Upstream answers are passed through with their
/// status; what goes wrong on the way (a refused address, a bad path, no answer in time, a connection error) becomes a
/// JSON <c>{"error": "..."}</c> naming the upstream and the cause — never a stack trace.
/// </summary>
internal sealed class UiProxy(UiConfig config, KubeUpstream kube, VswitchUpstream vswitches, ClusterNodes nodes)
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    /// <summary>Forwards a request under <c>/api/k8s/</c>.</summary>
    public async Task KubeAsync(HttpContext context, string? path)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (UpstreamPath.Check(path) is { } bad)
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, $"/api/k8s/{path}: {bad}").ConfigureAwait(false);
            return;
        }

        var target = new Uri(kube.Server, path + context.Request.QueryString.Value);
        await ForwardAsync(context, kube.Client, target, kube.Authorize, $"Kubernetes API {kube.Server}").ConfigureAwait(false);
    }

    /// <summary>Forwards a request under <c>/api/contiv/</c> to the agent of the node named by <c>?vswitch=</c>.</summary>
    public async Task ContivAsync(HttpContext context, string? path)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (UpstreamPath.Check(path) is { } bad)
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, $"/api/contiv/{path}: {bad}").ConfigureAwait(false);
            return;
        }

        var vswitch = context.Request.Query["vswitch"].ToString();
        if (vswitch.Length == 0 || !IPAddress.TryParse(vswitch, out _))
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, $"/api/contiv/{path}: ?vswitch= must be a node's IP address (got '{vswitch}')").ConfigureAwait(false);
            return;
        }

        if (await NodeOfAsync(context, vswitch, "vswitch").ConfigureAwait(false) is not { } node)
        {
            return;
        }

        // The agent sees the request without the UI's own query parameter.
        var query = QueryString.Create(context.Request.Query.Where(q => q.Key != "vswitch").SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))));
        var baseUri = vswitches.BaseOf(vswitch);
        var target = new Uri(baseUri, path + query.Value);
        await ForwardAsync(context, vswitches.Client, target, vswitches.Authorize, $"vswitch {vswitch} ({node}, {baseUri})").ConfigureAwait(false);
    }

    /// <summary>
    /// Forwards <c>POST /api/netctl</c> (a JSON array of contiv-netctl arguments) to contiv-crd's <c>POST /netctl</c>:
    /// at <c>crdEndpoint</c> when configured, else at <c>&lt;master&gt;:contivCRDPort</c>, where <c>?master=</c> must be
    /// a node's address. contiv-crd answers netctl's output as text (200, or 500 when netctl failed).
    /// </summary>
    public async Task NetctlAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Request.EnableBuffering();
        string? bad;
        try
        {
            using var doc = await System.Text.Json.JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            bad = doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Array || doc.RootElement.EnumerateArray().Any(a => a.ValueKind != System.Text.Json.JsonValueKind.String)
                ? $"found a JSON {doc.RootElement.ValueKind}"
                : null;
        }
        catch (System.Text.Json.JsonException e)
        {
            bad = e.Message;
        }

        if (bad is not null)
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, $"/api/netctl: the body must be a JSON array of contiv-netctl arguments, e.g. [\"nodes\"] ({bad})").ConfigureAwait(false);
            return;
        }

        context.Request.Body.Position = 0;
        Uri baseUri;
        string upstream;
        if (config.CrdEndpoint is { } endpoint)
        {
            baseUri = new Uri(endpoint.TrimEnd('/') + "/");
            upstream = $"contiv-crd {baseUri}";
        }
        else
        {
            var master = context.Request.Query["master"].ToString();
            if (master.Length == 0 || !IPAddress.TryParse(master, out _))
            {
                await ErrorAsync(context, HttpStatusCode.BadRequest, $"/api/netctl: ?master= must be the IP address of the node running contiv-crd (got '{master}')").ConfigureAwait(false);
                return;
            }

            if (await NodeOfAsync(context, master, "master").ConfigureAwait(false) is not { } node)
            {
                return;
            }

            var host = master.Contains(':', StringComparison.Ordinal) ? $"[{master}]" : master;
            baseUri = new Uri($"{(config.ContivHttpsEnabled ? "https" : "http")}://{host}:{config.ContivCrdPort}/");
            upstream = $"contiv-crd on {master} ({node}, {baseUri})";
        }

        // contiv-crd takes the agents' TLS and credentials in a deployment (and in a secure lab): the agents' client.
        await ForwardAsync(context, vswitches.Client, new Uri(baseUri, "netctl"), vswitches.Authorize, upstream).ConfigureAwait(false);
    }

    /// <summary>Writes <c>{"error": message}</c> with <paramref name="status"/>.</summary>
    public static async Task ErrorAsync(HttpContext context, HttpStatusCode status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = (int)status;
        await context.Response.WriteAsJsonAsync(new { error = message }, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The name of the node with address <paramref name="ip"/>; null after answering 403 (not a node's address, nothing
    /// is sent there) or 502 (the node list could not be read). <paramref name="role"/> names the parameter in errors.
    /// </summary>
    private async Task<string?> NodeOfAsync(HttpContext context, string ip, string role)
    {
        IReadOnlyDictionary<string, string> known;
        try
        {
            known = await nodes.AddressesAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            await ErrorAsync(context, HttpStatusCode.BadGateway, $"cannot check {role} {ip} against the cluster's nodes: {Describe(e)}").ConfigureAwait(false);
            return null;
        }

        if (!known.TryGetValue(ip, out var node))
        {
            await ErrorAsync(context, HttpStatusCode.Forbidden,
                $"{role} {ip} is not an address of a node of this cluster (nodes: {string.Join(", ", known.Select(kv => $"{kv.Value} {kv.Key}").Order(StringComparer.Ordinal))})").ConfigureAwait(false);
            return null;
        }

        return node;
    }

    private async Task ForwardAsync(HttpContext context, HttpClient client, Uri target, Action<HttpRequestMessage> authorize, string upstream)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            body.Position = 0;
            request.Content = new StreamContent(body);
            if (context.Request.ContentType is { } type)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }

        request.Headers.Accept.ParseAdd(context.Request.Headers.Accept.Count > 0 ? context.Request.Headers.Accept.ToString() : "application/json");
        authorize(request);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        cts.CancelAfter(config.UpstreamTimeout);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            await ErrorAsync(context, HttpStatusCode.GatewayTimeout, $"{upstream}: no answer within {config.UpstreamTimeout.TotalSeconds:0.#} s for {request.Method} {target.PathAndQuery}").ConfigureAwait(false);
            return;
        }
        catch (HttpRequestException e)
        {
            await ErrorAsync(context, HttpStatusCode.BadGateway, $"{upstream}: {request.Method} {target.PathAndQuery} failed: {Describe(e)}").ConfigureAwait(false);
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var h in response.Content.Headers.Where(h => !HopByHop.Contains(h.Key) && h.Key != "Content-Length"))
            {
                context.Response.Headers[h.Key] = h.Value.ToArray();
            }

            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
                await stream.CopyToAsync(context.Response.Body, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException && !context.RequestAborted.IsCancellationRequested)
            {
                // Headers are gone already: the client sees a truncated body; abort so it does not look complete.
                context.Abort();
            }
        }
    }

    private static string Describe(Exception e) => e switch
    {
        HttpRequestException { InnerException: SocketException s } => $"{s.SocketErrorCode}: {s.Message}",
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException a } => $"TLS: {a.Message}",
        HttpRequestException { StatusCode: { } code } h => $"HTTP {(int)code}: {h.Message}",
        OperationCanceledException => "no answer in time",
        _ => e.Message,
    };
}
