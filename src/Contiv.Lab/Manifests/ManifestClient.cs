using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Contiv.Lab.Manifests;

/// <summary>
/// <c>contiv-lab apply/delete -f</c>: sends manifests to the lab API server like <c>kubectl</c> does,
/// resolving kind → resource through discovery. Apply is server-side apply
/// (<c>application/apply-patch+yaml</c>, field manager <c>contiv-lab</c>), which creates missing
/// objects; delete removes each object and waits until it is gone.
/// </summary>
public sealed class ManifestClient(Uri server) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
    private readonly Dictionary<string, JsonArray> _discovery = new(StringComparer.Ordinal);

    /// <summary>Outcome for one object, e.g. <c>pod/web-1 created</c>.</summary>
    public sealed record Outcome(string Kind, string Namespace, string Name, string Verb)
    {
        /// <inheritdoc />
        public override string ToString() => $"{Kind.ToLowerInvariant()}/{Name} {Verb}";
    }

    /// <summary>Applies every object; returns one outcome per object.</summary>
    public async Task<List<Outcome>> ApplyAsync(IEnumerable<JsonObject> objects, CancellationToken ct)
    {
        var outcomes = new List<Outcome>();
        foreach (var obj in objects)
        {
            var (path, kind, ns, name) = await ResolveAsync(obj, ct).ConfigureAwait(false);
            if (ns is not null)
            {
                obj["metadata"]!["namespace"] = ns;
            }

            using var get = await _http.GetAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
            var existed = get.IsSuccessStatusCode;
            using var content = new StringContent(obj.ToJsonString(), Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
            using var resp = await _http.PatchAsync(new Uri(path + "?fieldManager=contiv-lab&force=true", UriKind.Relative), content, ct).ConfigureAwait(false);
            await EnsureAsync(resp, $"apply {kind} {ns}/{name}", ct).ConfigureAwait(false);
            outcomes.Add(new Outcome(kind, ns ?? string.Empty, name, existed ? "configured" : "created"));
        }

        return outcomes;
    }

    /// <summary>Deletes every object (missing ones are reported, not errors) and waits up to <paramref name="wait"/> for them to disappear.</summary>
    public async Task<List<Outcome>> DeleteAsync(IEnumerable<JsonObject> objects, TimeSpan wait, CancellationToken ct)
    {
        var outcomes = new List<Outcome>();
        var paths = new List<(string Path, string What)>();
        foreach (var obj in objects)
        {
            var (path, kind, ns, name) = await ResolveAsync(obj, ct).ConfigureAwait(false);
            using var resp = await _http.DeleteAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
            if (resp.StatusCode == HttpStatusCode.NotFound)
            {
                outcomes.Add(new Outcome(kind, ns ?? string.Empty, name, "not found"));
                continue;
            }

            await EnsureAsync(resp, $"delete {kind} {ns}/{name}", ct).ConfigureAwait(false);
            outcomes.Add(new Outcome(kind, ns ?? string.Empty, name, "deleted"));
            paths.Add((path, $"{kind.ToLowerInvariant()}/{name}"));
        }

        var deadline = DateTime.UtcNow + wait;
        foreach (var (path, what) in paths)
        {
            while (true)
            {
                using var get = await _http.GetAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
                if (get.StatusCode == HttpStatusCode.NotFound)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{what} still exists {wait.TotalSeconds:0}s after deletion (is its node's kubelet running?)");
                }

                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }

        return outcomes;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<(string Path, string Kind, string? Namespace, string Name)> ResolveAsync(JsonObject obj, CancellationToken ct)
    {
        var apiVersion = obj["apiVersion"]?.GetValue<string>() ?? throw new FormatException("an object has no apiVersion");
        var kind = obj["kind"]?.GetValue<string>() ?? throw new FormatException($"an object of {apiVersion} has no kind");
        var name = obj["metadata"]?["name"]?.GetValue<string>() ?? throw new FormatException($"a {kind} has no metadata.name");
        var prefix = apiVersion.Contains('/', StringComparison.Ordinal) ? $"apis/{apiVersion}" : $"api/{apiVersion}";
        if (!_discovery.TryGetValue(prefix, out var resources))
        {
            using var resp = await _http.GetAsync(new Uri(prefix, UriKind.Relative), ct).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{kind} {name}: the API server does not serve {apiVersion} ({(int)resp.StatusCode})");
            }

            resources = JsonNode.Parse(await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false))?["resources"] as JsonArray ?? [];
            _discovery[prefix] = resources;
        }

        var resource = resources.OfType<JsonObject>().FirstOrDefault(r => r["kind"]?.GetValue<string>() == kind && r["name"]?.GetValue<string>()?.Contains('/', StringComparison.Ordinal) == false)
            ?? throw new InvalidOperationException($"{kind} {name}: the API server has no resource of kind {kind} in {apiVersion}");
        var plural = resource["name"]!.GetValue<string>();
        if (resource["namespaced"]?.GetValue<bool>() == true)
        {
            var ns = obj["metadata"]?["namespace"]?.GetValue<string>() ?? "default";
            return ($"{prefix}/namespaces/{ns}/{plural}/{name}", kind, ns, name);
        }

        return ($"{prefix}/{plural}/{name}", kind, null, name);
    }

    private static async Task EnsureAsync(HttpResponseMessage resp, string what, CancellationToken ct)
    {
        if (resp.IsSuccessStatusCode)
        {
            return;
        }

        var body = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        string message = body;
        try
        {
            message = JsonNode.Parse(body)?["message"]?.GetValue<string>() ?? body;
        }
        catch (JsonException)
        {
        }

        throw new InvalidOperationException($"{what}: {(int)resp.StatusCode} {message}");
    }
}
