using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Registry;
using Contiv.ApiServer.Resources;
using Contiv.ApiServer.Selectors;
using Contiv.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace Contiv.ApiServer.Http;

/// <summary>The watch stream: one compact JSON event per line, flushed per batch.</summary>
internal sealed partial class ApiHandler
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private async Task WatchAsync(HttpContext ctx, ResourceType type, string? ns)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"], type);
        var bookmarks = IsTrue(q["allowWatchBookmarks"]);
        var sendInitial = IsTrue(q["sendInitialEvents"]);
        var rv = (string?)q["resourceVersion"];
        var timeout = _options.DefaultWatchTimeout;
        if (long.TryParse(q["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            timeout = TimeSpan.FromSeconds(seconds);
        }

        var stream = new WatchStream(ctx, type, labels, fields, bookmarks, WantsTable(ctx));
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        WatchSubscription sub;
        try
        {
            sub = _registry.Watch(type, ns, sendInitial ? null : rv);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            // Like the watch cache: HTTP 200 and an ERROR event, then the end of the stream.
            await stream.WriteErrorAsync(e.ToStatus());
            return;
        }

        using (sub)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping);
            var aborted = linked.Token;
            await ctx.Response.StartAsync(aborted);
            foreach (var e in sub.Initial)
            {
                stream.Write(e);
            }

            if (sendInitial && bookmarks)
            {
                stream.WriteBookmark(sub.StartResourceVersion, initialEventsEnd: true);
            }

            await stream.FlushAsync();
            var deadline = DateTimeOffset.UtcNow + timeout;
            var nextBookmark = DateTimeOffset.UtcNow + _options.BookmarkInterval;
            var closing = false;
            while (!aborted.IsCancellationRequested)
            {
                var wrote = false;
                while (sub.Events.TryRead(out var e))
                {
                    wrote |= stream.Write(e);
                    if (closing && e.Type == WatchEventType.Bookmark)
                    {
                        await stream.FlushAsync();
                        return;
                    }
                }

                if (wrote)
                {
                    await stream.FlushAsync();
                }

                var now = DateTimeOffset.UtcNow;
                if (now >= deadline && !closing)
                {
                    if (!bookmarks)
                    {
                        return;
                    }

                    // A last bookmark before closing tells the client where to resume (and keeps
                    // clients that fail on a zero-event watch happy).
                    closing = true;
                    _registry.RequestBookmark(sub);
                    deadline = now + TimeSpan.FromSeconds(5);
                    continue;
                }

                if (closing && now >= deadline)
                {
                    return;
                }

                if (bookmarks && now >= nextBookmark && !closing)
                {
                    _registry.RequestBookmark(sub);
                    nextBookmark = now + _options.BookmarkInterval;
                    continue;
                }

                var wait = deadline - now;
                if (bookmarks && !closing && nextBookmark - now < wait)
                {
                    wait = nextBookmark - now;
                }

                using var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                cts.CancelAfter(wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
                try
                {
                    if (!await sub.Events.WaitToReadAsync(cts.Token))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException)
                {
                    // Either a timer fired (loop again) or the client left / the server stops (end quietly).
                    if (aborted.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }
        }
    }

    /// <summary>Writes the events of one watch, applying selectors (transitions become ADDED/DELETED) and Table conversion.</summary>
    private sealed class WatchStream
    {
        private readonly HttpContext _ctx;
        private readonly ResourceType _type;
        private readonly LabelSelector _labels;
        private readonly FieldSelector _fields;
        private readonly bool _bookmarks;
        private readonly bool _table;
        private readonly bool _filtered;
        private bool _columnsSent;

        public WatchStream(HttpContext ctx, ResourceType type, LabelSelector labels, FieldSelector fields, bool bookmarks, bool table)
        {
            _ctx = ctx;
            _type = type;
            _labels = labels;
            _fields = fields;
            _bookmarks = bookmarks;
            _table = table;
            _filtered = !labels.IsEmpty || !fields.IsEmpty;
        }

        private bool Matches(JsonObject? o) => o is not null && (!_filtered || ResourceRegistry.Matches(o, _type, _labels, _fields));

        /// <summary>Writes the event if the watcher sees it; returns true when something was written.</summary>
        public bool Write(StoreEvent e)
        {
            switch (e.Type)
            {
                case WatchEventType.Bookmark:
                    if (_bookmarks)
                    {
                        WriteBookmark(e.ResourceVersion, initialEventsEnd: false);
                        return true;
                    }

                    return false;
                case WatchEventType.Added:
                    return Matches(e.Object) && WriteEvent("ADDED", e.Object);
                case WatchEventType.Deleted:
                    return Matches(e.Object) && WriteEvent("DELETED", e.Object);
                default:
                    var now = Matches(e.Object);
                    var before = e.Previous is null || Matches(e.Previous);
                    if (now)
                    {
                        return WriteEvent(before ? "MODIFIED" : "ADDED", e.Object);
                    }

                    return before && WriteEvent("DELETED", e.Object);
            }
        }

        public void WriteBookmark(long rv, bool initialEventsEnd)
        {
            var meta = new JsonObject { ["resourceVersion"] = ResourceRegistry.Format(rv) };
            if (initialEventsEnd)
            {
                meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
            }

            WriteEvent("BOOKMARK", new JsonObject { ["kind"] = _type.Kind, ["apiVersion"] = _type.ApiVersion, ["metadata"] = meta }, raw: true);
        }

        public async Task WriteErrorAsync(JsonObject status)
        {
            WriteEvent("ERROR", status, raw: true);
            await FlushAsync();
        }

        public async Task FlushAsync() => await _ctx.Response.BodyWriter.FlushAsync(_ctx.RequestAborted);

        private bool WriteEvent(string type, JsonObject obj, bool raw = false)
        {
            JsonNode payload = obj;
            if (!raw)
            {
                if (_table)
                {
                    payload = TablePrinter.Table(_type, [obj], Json.Str(obj, "metadata", "resourceVersion"), null, !_columnsSent, DateTimeOffset.UtcNow);
                    _columnsSent = true;
                }
                else
                {
                    payload = View(_type, obj);
                }
            }

            var body = _ctx.Response.BodyWriter;
            using (var w = new Utf8JsonWriter(body, Json.Writer))
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WritePropertyName("object");
                Json.Write(w, payload);
                w.WriteEndObject();
            }

            body.Write(NewLine);
            return true;
        }
    }
}
