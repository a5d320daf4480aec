using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Contiv.Ui.Tests;

/// <summary><c>basicAuth</c>: every path but the probes needs one of the configured users.</summary>
public sealed class BasicAuthTests
{
    [Fact]
    public async Task Wrong_or_missing_credentials_get_401_and_right_ones_get_through()
    {
        await using var kube = await FakeUpstream.StartAsync(app => app.MapGet("/api/v1/namespaces", () => Results.Json(new { items = Array.Empty<object>() })));
        await using var ui = await UiUnderTest.StartAsync(kube.Url, c => c with
        {
            BasicAuth = new(StringComparer.Ordinal) { ["admin"] = "right-password", ["viewer"] = "other" },
        });

        async Task<HttpStatusCode> Get(string path, string? user, string? password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (user is not null)
            {
                request.Headers.Authorization = UiUnderTest.Basic(user, password!);
            }

            using var r = await ui.Http.SendAsync(request);
            if (r.StatusCode == HttpStatusCode.Unauthorized)
            {
                Assert.Contains("Basic", r.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            }

            return r.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await Get("api/k8s/api/v1/namespaces", null, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("api/k8s/api/v1/namespaces", "admin", "wrong-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("api/k8s/api/v1/namespaces", "admin", "other"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("api/events", "nobody", "right-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/", null, null));
        Assert.Equal(HttpStatusCode.OK, await Get("api/k8s/api/v1/namespaces", "admin", "right-password"));
        Assert.Equal(HttpStatusCode.OK, await Get("api/k8s/api/v1/namespaces", "viewer", "other"));
        Assert.Equal(HttpStatusCode.OK, await Get("liveness", null, null));
    }
}
