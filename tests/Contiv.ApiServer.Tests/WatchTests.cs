using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.ApiServer.Tests;

/// <summary>List/watch semantics: resourceVersion, bookmarks, 410 after compaction, selector transitions.</summary>
public sealed class WatchTests
{
    private static long Rv(string s) => long.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Watch_from_a_list_resource_version_sees_only_later_changes_in_order()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("before"), "default");
        var list = await client.CoreV1.ListNamespacedPodAsync("default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("after"), "default");
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"x":"1"}}}""", V1Patch.PatchType.MergePatch), "after", "default");
        await client.CoreV1.DeleteNamespacedPodAsync("after", "default");

        var events = new List<(WatchEventType, string, long)>();
        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 1))
        {
            events.Add((type, pod.Metadata.Name, Rv(pod.Metadata.ResourceVersion)));
        }

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Item1));
        Assert.All(events, e => Assert.Equal("after", e.Item2));
        Assert.True(events[0].Item3 > Rv(list.Metadata.ResourceVersion));
        Assert.True(events[0].Item3 < events[1].Item3 && events[1].Item3 < events[2].Item3);
    }

    [Fact]
    public async Task Create_response_get_list_and_watch_carry_the_same_json_and_follow_later_changes()
    {
        // Committed objects are serialised once and the bytes reused (response, watch streams, lists): every reader
        // must see the same JSON, and a later change must never be answered with the older cached bytes.
        await using var server = await Lab.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        var body = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"same","labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""";
        using var create = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(body)]); // a UTF-8 BOM is accepted
        create.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var created = await http.PostAsync("/api/v1/namespaces/default/pods", create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdJson = await created.Content.ReadAsStringAsync();
        Assert.Equal(createdJson, await http.GetStringAsync("/api/v1/namespaces/default/pods/same"));
        var listed = JsonNode.Parse(await http.GetStringAsync("/api/v1/namespaces/default/pods"))!["items"]!.AsArray();
        Assert.Equal(createdJson, Assert.Single(listed)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var watched = (await http.GetStringAsync("/api/v1/namespaces/default/pods?watch=1&resourceVersion=0&timeoutSeconds=1")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($$"""{"type":"ADDED","object":{{createdJson}}}""", Assert.Single(watched));

        using var patch = new StringContent("""{"metadata":{"labels":{"app":"y"}}}""", System.Text.Encoding.UTF8, "application/merge-patch+json");
        using var patched = await http.PatchAsync("/api/v1/namespaces/default/pods/same", patch);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var patchedJson = await patched.Content.ReadAsStringAsync();
        var now = JsonNode.Parse(await http.GetStringAsync("/api/v1/namespaces/default/pods/same"))!;
        Assert.Equal("y", (string?)now["metadata"]!["labels"]!["app"]);
        Assert.Equal(patchedJson, now.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.True(Rv((string)now["metadata"]!["resourceVersion"]!) > Rv((string)JsonNode.Parse(createdJson)!["metadata"]!["resourceVersion"]!));
        Assert.Equal("y", (string?)JsonNode.Parse(await http.GetStringAsync("/api/v1/namespaces/default/pods"))!["items"]![0]!["metadata"]!["labels"]!["app"]);
    }

    [Fact]
    public async Task Watch_without_resource_version_starts_with_synthetic_added_events()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("a"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("b"), "default");
        var names = new List<string>();
        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: "0", timeoutSeconds: 1))
        {
            Assert.Equal(WatchEventType.Added, type);
            names.Add(pod.Metadata.Name);
        }

        Assert.Equal(["a", "b"], names);
    }

    [Fact]
    public async Task Live_events_arrive_while_the_watch_is_open()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var list = await client.CoreV1.ListNamespacedPodAsync("default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, allowWatchBookmarks: true, cancellationToken: cts.Token))
            {
                if (type == WatchEventType.Bookmark)
                {
                    continue;
                }

                lock (seen)
                {
                    seen.Add((type, pod.Metadata.Name));
                    if (seen.Count == 2)
                    {
                        return;
                    }
                }
            }
        });
        await Task.Delay(300);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("live"), "default");
        await client.CoreV1.DeleteNamespacedPodAsync("live", "default");
        await watching.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([(WatchEventType.Added, "live"), (WatchEventType.Deleted, "live")], seen);
    }

    [Fact]
    public async Task Bookmarks_carry_the_current_resource_version_when_allowed()
    {
        await using var server = await Lab.StartAsync(o => o.BookmarkInterval = TimeSpan.FromMilliseconds(200));
        var client = Lab.Client(server);
        var list = await client.CoreV1.ListNamespacedPodAsync("default");
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "bump" } });
        var bookmarks = new List<long>();
        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, allowWatchBookmarks: true, timeoutSeconds: 1))
        {
            Assert.Equal(WatchEventType.Bookmark, type);
            Assert.Null(pod.Metadata.Name);
            bookmarks.Add(Rv(pod.Metadata.ResourceVersion));
        }

        Assert.True(bookmarks.Count >= 2, $"bookmarks: {bookmarks.Count}");
        Assert.All(bookmarks, b => Assert.Equal(server.Registry.ResourceVersion, b));
    }

    [Fact]
    public async Task Watches_get_no_bookmarks_unless_they_ask()
    {
        await using var server = await Lab.StartAsync(o => o.BookmarkInterval = TimeSpan.FromMilliseconds(100));
        using var http = new HttpClient { BaseAddress = server.Url };
        var rv = server.Registry.ResourceVersion;
        var body = await http.GetStringAsync($"api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1");
        Assert.Equal(string.Empty, body);
        var withBookmarks = await http.GetStringAsync($"api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1&allowWatchBookmarks=true");
        var lines = withBookmarks.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Equal("BOOKMARK", (string?)JsonNode.Parse(l)!["type"]));
    }

    [Fact]
    public async Task Watch_from_a_compacted_resource_version_gets_410_Expired_and_a_relist_recovers()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var list = await client.CoreV1.ListNamespacedPodAsync("default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("p1"), "default");
        server.CompactHistory();

        var errors = new List<Exception>();
        var events = 0;
        await foreach (var _ in client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 2, onError: errors.Add))
        {
            events++;
        }

        Assert.Equal(0, events);
        var error = Assert.IsType<KubernetesException>(Assert.Single(errors));
        Assert.Equal(410, error.Status.Code);
        Assert.Equal("Expired", error.Status.Reason);
        Assert.Contains($"too old resource version: {list.Metadata.ResourceVersion}", error.Status.Message, StringComparison.Ordinal);

        var relist = await client.CoreV1.ListNamespacedPodAsync("default");
        Assert.Equal("p1", Assert.Single(relist.Items).Metadata.Name);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("p2"), "default");
        var names = new List<string>();
        await foreach (var (_, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: relist.Metadata.ResourceVersion, timeoutSeconds: 1))
        {
            names.Add(pod.Metadata.Name);
        }

        Assert.Equal(["p2"], names);
    }

    [Fact]
    public async Task Small_event_history_expires_old_versions_on_its_own()
    {
        await using var server = await Lab.StartAsync(o => o.EventHistorySize = 16);
        var client = Lab.Client(server);
        var start = (await client.CoreV1.ListNamespacedPodAsync("default")).Metadata.ResourceVersion;
        for (var i = 0; i < 20; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"c{i}" } }, "default");
        }

        using var http = new HttpClient { BaseAddress = server.Url };
        var line = (await http.GetStringAsync($"api/v1/namespaces/default/configmaps?watch=true&resourceVersion={start}&timeoutSeconds=1")).Split('\n')[0];
        var evt = JsonNode.Parse(line)!;
        Assert.Equal("ERROR", (string?)evt["type"]);
        Assert.Equal(410, (int)evt["object"]!["code"]!);
    }

    [Fact]
    public async Task Field_selector_watch_turns_a_binding_into_added_and_a_move_away_into_deleted()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var rv = (await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=n1")).Metadata.ResourceVersion;
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("p1"), "default");
        await client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "p1" }, Target = new V1ObjectReference { Kind = "Node", Name = "n1" } }, "p1", "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("other", node: "n2"), "default");
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "p1", "default");
        await client.CoreV1.DeleteNamespacedPodAsync("p1", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });

        var events = new List<(WatchEventType, string)>();
        await foreach (var (type, pod) in client.CoreV1.WatchListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=n1", resourceVersion: rv, timeoutSeconds: 1))
        {
            events.Add((type, pod.Metadata.Name));
        }

        Assert.Equal([(WatchEventType.Added, "p1"), (WatchEventType.Modified, "p1"), (WatchEventType.Deleted, "p1")], events);
    }

    [Fact]
    public async Task Label_selector_watch_sees_an_object_leave_as_deleted()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("p1", new Dictionary<string, string> { ["app"] = "web" }), "default");
        var rv = (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=web")).Metadata.ResourceVersion;
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"db"}}}""", V1Patch.PatchType.MergePatch), "p1", "default");
        var events = new List<WatchEventType>();
        await foreach (var (type, _) in client.CoreV1.WatchListNamespacedPodAsync("default", labelSelector: "app=web", resourceVersion: rv, timeoutSeconds: 1))
        {
            events.Add(type);
        }

        Assert.Equal([WatchEventType.Deleted], events);
    }

    [Fact]
    public async Task Deleted_event_carries_the_last_state_with_the_deletion_resource_version()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        var created = await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("p1", new Dictionary<string, string> { ["k"] = "v" }), "default");
        await client.CoreV1.DeleteNamespacedPodAsync("p1", "default");
        V1Pod? deleted = null;
        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: created.Metadata.ResourceVersion, timeoutSeconds: 1))
        {
            Assert.Equal(WatchEventType.Deleted, type);
            deleted = pod;
        }

        Assert.NotNull(deleted);
        Assert.Equal("v", deleted.Metadata.Labels["k"]);
        Assert.Equal(server.Registry.ResourceVersion, Rv(deleted.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task List_pages_with_limit_and_continue()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        for (var i = 0; i < 5; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"c{i}" } }, "default");
        }

        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: token);
            names.AddRange(page.Items.Select(c => c.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(3, pages);
        Assert.Equal(["c0", "c1", "c2", "c3", "c4"], names);
    }

    [Fact]
    public async Task Label_selectors_support_set_and_existence_operators()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("a", new Dictionary<string, string> { ["tier"] = "front", ["env"] = "prod" }), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("b", new Dictionary<string, string> { ["tier"] = "back" }), "default");
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("c"), "default");

        async Task<string> Names(string selector)
            => string.Join(',', (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: selector)).Items.Select(p => p.Metadata.Name));

        Assert.Equal("a,b", await Names("tier in (front,back)"));
        Assert.Equal("b,c", await Names("tier notin (front)"));
        Assert.Equal("a", await Names("env"));
        Assert.Equal("b,c", await Names("!env"));
        Assert.Equal("b,c", await Names("tier!=front"));
        Assert.Equal("a", await Names("tier=front,env=prod"));
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "a=(b"));
        Assert.Equal(HttpStatusCode.BadRequest, e.Response.StatusCode);
    }

    [Fact]
    public async Task Send_initial_events_ends_the_initial_state_with_an_annotated_bookmark()
    {
        await using var server = await Lab.StartAsync();
        var client = Lab.Client(server);
        await client.CoreV1.CreateNamespacedPodAsync(ClientCrudTests.Pod("a"), "default");
        using var http = new HttpClient { BaseAddress = server.Url };
        var body = await http.GetStringAsync("api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1");
        var events = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("ADDED", (string?)events[0]["type"]);
        Assert.Equal("BOOKMARK", (string?)events[1]["type"]);
        Assert.Equal("true", (string?)events[1]["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]);
    }

    [Fact]
    public async Task Stopping_the_server_ends_open_watches_promptly()
    {
        var server = await Lab.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync("api/v1/pods?watch=true", HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await server.DisposeAsync();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"dispose took {sw.Elapsed}");
        using var reader = new StreamReader(stream);
        var rest = reader.ReadToEndAsync();
        Assert.Same(rest, await Task.WhenAny(rest, Task.Delay(TimeSpan.FromSeconds(5))));
    }
}
