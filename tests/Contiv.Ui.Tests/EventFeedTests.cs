using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Contiv.Ui.Tests;

/// <summary><c>/api/events</c>: changes seen by the Kubernetes watch arrive as Server-Sent Events.</summary>
public sealed class EventFeedTests
{
    [Fact]
    public async Task A_pod_added_in_the_watch_arrives_as_an_event()
    {
        var release = new TaskCompletionSource();
        var watching = new TaskCompletionSource();
        await using var kube = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/api/v1/{resource}", async (HttpContext c, string resource) =>
            {
                if (c.Request.Query["watch"] != "1")
                {
                    return Results.Json(new { metadata = new { resourceVersion = "10" }, items = Array.Empty<object>() });
                }

                c.Response.ContentType = "application/json";
                if (resource == "pods")
                {
                    // The subscriber connects first; then the pod shows up in the watch.
                    await watching.Task;
                    await c.Response.WriteAsync("""{"type":"ADDED","object":{"metadata":{"name":"web-3","namespace":"default","resourceVersion":"11"}}}""" + "\n");
                    await c.Response.Body.FlushAsync();
                }

                await release.Task.WaitAsync(c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            });
        });
        await using var ui = await UiUnderTest.StartAsync(kube.Url);

        using var stream = await ui.Http.GetStreamAsync("api/events");
        using var reader = new StreamReader(stream);
        Assert.Equal("retry: 2000", await reader.ReadLineAsync());
        watching.SetResult();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? data = null;
        while (data is null && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }

        release.SetResult();
        Assert.NotNull(data);
        using var doc = JsonDocument.Parse(data);
        Assert.Equal("pods", doc.RootElement.GetProperty("kind").GetString());
        Assert.Equal("ADDED", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("web-3", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal("default", doc.RootElement.GetProperty("namespace").GetString());
    }
}
