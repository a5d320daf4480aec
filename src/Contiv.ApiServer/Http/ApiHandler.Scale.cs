using System.Text.Json.Nodes;
using Contiv.ApiServer.Patching;
using Contiv.ApiServer.Registry;
using Contiv.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace Contiv.ApiServer.Http;

/// <summary>
/// The <c>scale</c> subresource (<c>autoscaling/v1</c> Scale) of Deployments and ReplicaSets: a view of
/// <c>spec.replicas</c>, <c>status.replicas</c> and the selector; <c>kubectl scale</c> patches it.
/// </summary>
internal sealed partial class ApiHandler
{
    private async Task ScaleAsync(HttpContext ctx, ResourceType type, string ns, string name)
    {
        var method = ctx.Request.Method;
        var dryRun = ctx.Request.Query["dryRun"].Count > 0;
        if (HttpMethods.IsGet(method))
        {
            await WriteJsonAsync(ctx, 200, ToScale(_registry.Get(type, ns, name)));
            return;
        }

        JsonObject desired;
        if (HttpMethods.IsPut(method))
        {
            desired = await ReadBodyObjectAsync(ctx, $"update {type.QualifiedName} \"{name}\" scale");
        }
        else if (HttpMethods.IsPatch(method))
        {
            var media = MediaType(ctx.Request.ContentType);
            var text = await ReadBodyTextAsync(ctx);
            var current = ToScale(_registry.Get(type, ns, name));
            desired = media switch
            {
                ResourceRegistry.PatchTypes.Json => JsonPatch.Apply(current, JsonNode.Parse(text) as JsonArray ?? throw ApiException.BadRequest("json patch of a scale must be an array")) as JsonObject,
                ResourceRegistry.PatchTypes.Apply => JsonMergePatch.Apply(current, YamlBody.Parse(text)) as JsonObject,
                ResourceRegistry.PatchTypes.Merge or ResourceRegistry.PatchTypes.Strategic => JsonMergePatch.Apply(current, JsonNode.Parse(text)) as JsonObject,
                _ => throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format ({media})"),
            } ?? throw ApiException.BadRequest($"patch of {type.QualifiedName} \"{name}\" scale did not produce an object");
        }
        else
        {
            throw ApiException.MethodNotAllowed(method.ToLowerInvariant(), "Scale");
        }

        if (Json.Long(Json.At(desired, "spec", "replicas")) is not long replicas || replicas < 0)
        {
            throw ApiException.Invalid("Scale", name, "spec.replicas", "FieldValueInvalid", "must be greater than or equal to 0", "autoscaling");
        }

        var patch = new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } };
        if (Json.Str(desired, "metadata", "resourceVersion") is { Length: > 0 } rv)
        {
            patch["metadata"] = new JsonObject { ["resourceVersion"] = rv };
        }

        var updated = _registry.Patch(type, ns, name, ResourceRegistry.PatchTypes.Merge, patch.ToJsonString(), false, out _, dryRun);
        await WriteJsonAsync(ctx, 200, ToScale(updated));
    }

    /// <summary>The Scale view of a replicated workload.</summary>
    internal static JsonObject ToScale(JsonObject obj)
    {
        var meta = new JsonObject();
        foreach (var f in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (Json.At(obj, "metadata", f) is JsonNode v)
            {
                meta[f] = v.DeepClone();
            }
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = meta,
            ["spec"] = new JsonObject { ["replicas"] = Json.Long(Json.At(obj, "spec", "replicas")) ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = Json.Long(Json.At(obj, "status", "replicas")) ?? 0,
                ["selector"] = SelectorText(Json.At(obj, "spec", "selector") as JsonObject),
            },
        };
    }

    /// <summary>A LabelSelector object in the query syntax (<c>app=web,tier in (a,b)</c>).</summary>
    internal static string SelectorText(JsonObject? selector)
    {
        var terms = new List<string>();
        foreach (var (k, v) in selector?["matchLabels"] as JsonObject ?? [])
        {
            terms.Add($"{k}={Json.AsString(v)}");
        }

        foreach (var e in selector?["matchExpressions"] as JsonArray ?? [])
        {
            var key = Json.Str(e, "key");
            var values = string.Join(',', (Json.At(e, "values") as JsonArray ?? []).Select(Json.AsString));
            terms.Add(Json.Str(e, "operator") switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => key ?? string.Empty,
                _ => $"!{key}",
            });
        }

        return string.Join(',', terms);
    }
}
