using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Registry;
using Contiv.ApiServer.Resources;
using Contiv.ApiServer.Selectors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Contiv.ApiServer.Http;

/// <summary>
/// Serves the Kubernetes REST paths: discovery, OpenAPI v3, <c>/version</c>, health, and
/// <c>/api/v1/...</c>, <c>/apis/{group}/{version}/...</c> for every resource of the catalog.
/// </summary>
internal sealed partial class ApiHandler
{
    private readonly ResourceRegistry _registry;
    private readonly OpenApiDocuments _openApi;
    private readonly LabApiServerOptions _options;
    private readonly ILogger _log;
    private readonly CancellationToken _stopping;

    public ApiHandler(ResourceRegistry registry, LabApiServerOptions options, ILogger log, CancellationToken stopping)
    {
        _registry = registry;
        _stopping = stopping;
        _options = options;
        _log = log;
        _openApi = new OpenApiDocuments(registry.Catalog);
    }

    private ResourceCatalog Catalog => _registry.Catalog;

    public async Task HandleAsync(HttpContext ctx)
    {
        try
        {
            await RouteAsync(ctx);
        }
        catch (ApiException e)
        {
            if (!ctx.Response.HasStarted)
            {
                await WriteJsonAsync(ctx, e.Code, e.ToStatus());
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // Client went away (watch closed).
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogError(e, "{Method} {Path}{Query} failed", ctx.Request.Method, ctx.Request.Path, ctx.Request.QueryString);
            if (!ctx.Response.HasStarted)
            {
                await WriteJsonAsync(ctx, 500, new ApiException(500, "InternalError", $"Internal error occurred: {e.Message}").ToStatus());
            }
        }
    }

    private async Task RouteAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var seg = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var get = HttpMethods.IsGet(ctx.Request.Method);
        switch (seg)
        {
            case []:
                await WriteJsonAsync(ctx, 200, new JsonObject { ["paths"] = new JsonArray("/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v3", "/readyz", "/version") });
                return;
            case ["version"] when get:
                await WriteJsonAsync(ctx, 200, DiscoveryDocuments.Version());
                return;
            case ["healthz" or "livez" or "readyz", ..] when get:
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.WriteAsync("ok", ctx.RequestAborted);
                return;
            case ["api"] when get:
                await WriteJsonAsync(ctx, 200, DiscoveryDocuments.ApiVersions(ctx.Request.Host.Value ?? "127.0.0.1"));
                return;
            case ["apis"] when get:
                await WriteJsonAsync(ctx, 200, DiscoveryDocuments.GroupList(Catalog));
                return;
            case ["apis", var group] when get:
                await WriteJsonAsync(ctx, 200, DiscoveryDocuments.Group(Catalog, group) ?? throw ApiException.UnknownPath());
                return;
            case ["api", var version] when get:
                await WriteJsonAsync(ctx, 200, DiscoveryDocuments.ResourceList(Catalog, string.Empty, version) ?? throw ApiException.UnknownPath());
                return;
            case ["apis", var group, var version] when get:
                await WriteJsonAsync(ctx, 200, DiscoveryDocuments.ResourceList(Catalog, group, version) ?? throw ApiException.UnknownPath());
                return;
            case ["openapi", "v3"] when get:
                await WriteJsonAsync(ctx, 200, _openApi.Index());
                return;
            case ["openapi", "v3", ..] when get:
                var doc = _openApi.Document(string.Join('/', seg[2..])) ?? throw ApiException.UnknownPath();
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(doc, ctx.RequestAborted);
                return;
            case ["api", var version, .. var rest]:
                await ResourceAsync(ctx, string.Empty, version, rest);
                return;
            case ["apis", var group, var version, .. var rest]:
                await ResourceAsync(ctx, group, version, rest);
                return;
            default:
                throw ApiException.UnknownPath();
        }
    }

    // ---------------------------------------------------------------- resources

    private async Task ResourceAsync(HttpContext ctx, string group, string version, string[] rest)
    {
        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces" && !(rest.Length == 3 && rest[2] is "status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }

        if (rest.Length is 0 or > 3)
        {
            throw ApiException.UnknownPath();
        }

        var type = Catalog.Find(group, version, rest[0]) ?? throw ApiException.UnknownPath();
        var name = rest.Length > 1 ? rest[1] : null;
        var sub = rest.Length > 2 ? rest[2] : null;
        if ((type.Namespaced && ns is null && name is not null) || (!type.Namespaced && ns is not null))
        {
            throw ApiException.UnknownPath();
        }

        if (sub is not null && !(sub == "status" && type.HasStatusSubresource) && !(sub == "binding" && type.StoreKey == "pods") && !(sub == "finalize" && type.StoreKey == "namespaces")
            && !(sub == "scale" && type.HasScaleSubresource) && !(sub is "log" or "exec" or "portforward" && type.StoreKey == "pods"))
        {
            throw ApiException.UnknownPath();
        }

        if (sub == "log")
        {
            await PodLogAsync(ctx, type, ns!, name!);
            return;
        }

        if (sub == "exec")
        {
            await PodExecAsync(ctx, type, ns!, name!);
            return;
        }

        if (sub == "portforward")
        {
            await PodPortForwardAsync(ctx, type, ns!, name!);
            return;
        }

        if (sub == "scale")
        {
            await ScaleAsync(ctx, type, ns!, name!);
            return;
        }

        var q = ctx.Request.Query;
        var dryRun = q["dryRun"].Count > 0;
        var method = ctx.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            if (name is null)
            {
                if (IsTrue(q["watch"]))
                {
                    await WatchAsync(ctx, type, ns);
                }
                else
                {
                    await ListAsync(ctx, type, ns);
                }

                return;
            }

            await WriteObjectAsync(ctx, 200, type, _registry.Get(type, ns, name));
            return;
        }

        if (HttpMethods.IsPost(method))
        {
            if (name is null)
            {
                var body = await ReadBodyObjectAsync(ctx, $"create {type.QualifiedName}");
                var created = _registry.Create(type, ns, body, dryRun);
                await WriteObjectAsync(ctx, 201, type, created);
                return;
            }

            if (sub == "binding")
            {
                var binding = await ReadBodyObjectAsync(ctx, $"bind pod {ns}/{name}");
                var node = Json.Str(binding, "target", "name");
                if (string.IsNullOrEmpty(node))
                {
                    throw ApiException.Invalid("Binding", name, "target.name", "FieldValueRequired", "Required value");
                }

                _registry.Bind(type, ns!, name, node);
                await WriteJsonAsync(ctx, 201, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 });
                return;
            }

            throw ApiException.MethodNotAllowed("create", type.Kind);
        }

        if (HttpMethods.IsPut(method) && name is not null)
        {
            var body = await ReadBodyObjectAsync(ctx, $"update {type.QualifiedName} \"{name}\"");
            var updated = _registry.Update(type, ns, name, body, sub == "status", out var created, dryRun);
            await WriteObjectAsync(ctx, created ? 201 : 200, type, updated);
            return;
        }

        if (HttpMethods.IsPatch(method) && name is not null)
        {
            var mediaType = MediaType(ctx.Request.ContentType);
            var text = await ReadBodyTextAsync(ctx);
            var patched = _registry.Patch(type, ns, name, mediaType, text, sub == "status", out var created, dryRun);
            await WriteObjectAsync(ctx, created ? 201 : 200, type, patched);
            return;
        }

        if (HttpMethods.IsDelete(method))
        {
            var options = await ReadDeleteOptionsAsync(ctx);
            if (name is null)
            {
                await DeleteCollectionAsync(ctx, type, ns, options);
                return;
            }

            var last = _registry.Delete(type, ns, name, options, out _);
            if (type.ReturnDeletedObject)
            {
                await WriteObjectAsync(ctx, 200, type, last);
            }
            else
            {
                await WriteJsonAsync(ctx, 200, ResourceRegistry.SuccessStatus(type, last));
            }

            return;
        }

        throw ApiException.MethodNotAllowed(method.ToLowerInvariant(), type.Kind);
    }

    private async Task ListAsync(HttpContext ctx, ResourceType type, string? ns)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"], type);
        var rvMatch = (string?)q["resourceVersionMatch"];
        var rv = (string?)q["resourceVersion"];
        if (!string.IsNullOrEmpty(rvMatch) && string.IsNullOrEmpty(rv))
        {
            throw ApiException.BadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
        }

        _ = int.TryParse(q["limit"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit);
        var result = _registry.List(type, ns, labels, fields, limit, q["continue"]);
        if (rvMatch == "Exact" && !string.IsNullOrEmpty(rv) && ResourceRegistry.ParseResourceVersion(rv) != result.ResourceVersion)
        {
            throw ApiException.Expired($"too old resource version: {rv} ({result.ResourceVersion})");
        }

        await WriteListAsync(ctx, type, result);
    }

    private async Task DeleteCollectionAsync(HttpContext ctx, ResourceType type, string? ns, DeleteOptions options)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"], type);
        var list = _registry.List(type, ns, labels, fields);
        var deleted = new List<JsonObject>();
        foreach (var item in list.Items)
        {
            try
            {
                deleted.Add(_registry.Delete(type, Json.Str(item, "metadata", "namespace"), Json.Str(item, "metadata", "name")!, options, out _));
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Deleted concurrently.
            }
        }

        await WriteListAsync(ctx, type, new ListResult(deleted, _registry.ResourceVersion, null));
    }

    // ---------------------------------------------------------------- request bodies

    private static bool IsTrue(StringValues v) => v.Count > 0 && (v[0] is "true" or "1" or "True");

    private static string MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return "application/json";
        }

        var semi = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semi >= 0 ? contentType[..semi] : contentType).Trim().ToLowerInvariant();
    }

    private static async Task<string> ReadBodyTextAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(ctx.RequestAborted);
    }

    private static async Task<JsonObject> ReadBodyObjectAsync(HttpContext ctx, string what)
    {
        var media = MediaType(ctx.Request.ContentType);
        if ((media.Contains("protobuf", StringComparison.Ordinal) && media != "application/vnd.kubernetes.protobuf") || media.Contains("cbor", StringComparison.Ordinal))
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format ({media}) - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        }

        if (media is "application/yaml" or "application/x-yaml")
        {
            var text = await ReadBodyTextAsync(ctx);
            return Patching.YamlBody.Parse(text) as JsonObject ?? throw ApiException.BadRequest($"{what}: body must be a YAML mapping");
        }

        // JSON and protobuf are decoded from the body's bytes in a pooled buffer (no string in between).
        var (buffer, length) = await ReadBodyBytesAsync(ctx);
        try
        {
            var body = buffer.AsSpan(0, length);
            if (media == "application/vnd.kubernetes.protobuf")
            {
                return ProtobufBody.Decode(body, what);
            }

            return Json.ParseObject(body.StartsWith("\uFEFF"u8) ? body[3..] : body, what);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The whole request body in a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it).</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyBytesAsync(HttpContext ctx)
    {
        var expected = ctx.Request.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(expected is > 0 and <= 1 << 20 ? (int)expected.Value + 1 : 4096);
        var used = 0;
        try
        {
            while (true)
            {
                if (used == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, used).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var n = await ctx.Request.Body.ReadAsync(buffer.AsMemory(used), ctx.RequestAborted);
                if (n == 0)
                {
                    return (buffer, used);
                }

                used += n;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpContext ctx)
    {
        var text = await ReadBodyTextAsync(ctx);
        var options = DeleteOptions.FromBody(string.IsNullOrWhiteSpace(text) ? null : Json.ParseObject(Encoding.UTF8.GetBytes(text), "delete options"));
        var q = ctx.Request.Query;
        if (long.TryParse(q["gracePeriodSeconds"], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var grace))
        {
            options = options with { GracePeriodSeconds = grace };
        }

        if (q["dryRun"].Count > 0)
        {
            options = options with { DryRun = true };
        }

        return options;
    }

    // ---------------------------------------------------------------- responses

    private static bool WantsTable(HttpContext ctx)
    {
        var accept = ctx.Request.Headers.Accept.ToString();
        return accept.Contains("as=Table", StringComparison.Ordinal);
    }

    /// <summary>The object as seen through <paramref name="type"/>'s version (custom resources are stored in one version).</summary>
    private static JsonObject View(ResourceType type, JsonObject obj)
    {
        if (Json.Str(obj, "apiVersion") == type.ApiVersion)
        {
            return obj;
        }

        var copy = (JsonObject)obj.DeepClone();
        copy["apiVersion"] = type.ApiVersion;
        return copy;
    }

    private async Task WriteObjectAsync(HttpContext ctx, int code, ResourceType type, JsonObject obj)
    {
        if (WantsTable(ctx))
        {
            await WriteJsonAsync(ctx, code, TablePrinter.Table(type, [obj], Json.Str(obj, "metadata", "resourceVersion"), null, true, DateTimeOffset.UtcNow));
            return;
        }

        await WriteJsonAsync(ctx, code, View(type, obj));
    }

    private async Task WriteListAsync(HttpContext ctx, ResourceType type, ListResult list)
    {
        var rv = ResourceRegistry.Format(list.ResourceVersion);
        if (WantsTable(ctx))
        {
            await WriteJsonAsync(ctx, 200, TablePrinter.Table(type, list.Items, rv, list.Continue, true, DateTimeOffset.UtcNow));
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        using (var w = new Utf8JsonWriter(ctx.Response.BodyWriter, Json.Writer))
        {
            w.WriteStartObject();
            w.WriteString("kind", type.ListKind);
            w.WriteString("apiVersion", type.ApiVersion);
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", rv);
            if (list.Continue is not null)
            {
                w.WriteString("continue", list.Continue);
            }

            w.WriteEndObject();
            w.WriteStartArray("items");
            foreach (var item in list.Items)
            {
                Json.Write(w, View(type, item));
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted);
    }

    internal static async Task WriteJsonAsync(HttpContext ctx, int code, JsonNode node)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        using (var w = new Utf8JsonWriter(ctx.Response.BodyWriter, Json.Writer))
        {
            Json.Write(w, node);
        }

        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted);
    }
}
