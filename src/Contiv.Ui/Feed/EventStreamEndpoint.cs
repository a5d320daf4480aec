using System.Text.Json;

namespace Contiv.Ui.Feed;

/// <summary>
/// <c>GET /api/events</c>: Server-Sent Events, one <c>data: {"kind","type","namespace","name"}</c> per Kubernetes change,
/// a comment every 15 s so proxies keep the connection open. The browser's EventSource reconnects by itself.
/// </summary>
internal static class EventStreamEndpoint
{
    private static readonly JsonSerializerOptions Camel = new(JsonSerializerDefaults.Web);

    /// <summary>Serves one client until it goes away.</summary>
    public static async Task ServeAsync(HttpContext context, KubeChangeFeed feed)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(feed);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        using var subscription = feed.Subscribe();
        var ct = context.RequestAborted;
        await context.Response.WriteAsync("retry: 2000\n: connected\n\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(15));
                string text;
                try
                {
                    var change = await subscription.Changes.ReadAsync(wait.Token).ConfigureAwait(false);
                    text = $"data: {JsonSerializer.Serialize(change, Camel)}\n\n";
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    text = ": keep-alive\n\n";
                }

                await context.Response.WriteAsync(text, ct).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page went away.
        }
    }
}
