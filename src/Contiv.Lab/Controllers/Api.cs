using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Controllers;

/// <summary>Small wrappers the controllers share around API calls: 404 as null, idempotent deletes, status patches.</summary>
internal static class Api
{
    /// <summary>The result, or null when the object does not exist.</summary>
    public static async Task<T?> TryAsync<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes; an object already gone is fine.</summary>
    public static async Task DeleteAsync<T>(Func<Task<T>> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }

    /// <summary>A merge patch of <c>{"status": next}</c> when it differs from <paramref name="current"/>.</summary>
    public static async Task PatchStatusIfChangedAsync<TStatus, TResult>(TStatus? current, TStatus next, Func<V1Patch, Task<TResult>> patch)
    {
        var before = current is null ? "null" : KubernetesJson.Serialize(current);
        var after = KubernetesJson.Serialize(next);
        if (before == after)
        {
            return;
        }

        // Fields missing from the new status (null) are removed from the stored one.
        var body = new JsonObject();
        if (current is not null && JsonNode.Parse(before) is JsonObject prev)
        {
            foreach (var (k, _) in prev)
            {
                body[k] = null;
            }
        }

        foreach (var (k, v) in JsonNode.Parse(after) as JsonObject ?? [])
        {
            body[k] = v?.DeepClone();
        }

        await patch(new V1Patch(new JsonObject { ["status"] = body }.ToJsonString(), V1Patch.PatchType.MergePatch)).ConfigureAwait(false);
    }
}
