using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Http;

/// <summary>
/// Minimal OpenAPI v3 documents: one per group version, where every object path has a <c>patch</c>
/// operation carrying <c>x-kubernetes-group-version-kind</c> and the <c>fieldValidation</c> parameter.
/// That is what kubectl's default validation looks for before trusting server-side validation; no
/// schemas and no request bodies, so apply falls back to its compiled-in strategic merge types.
/// </summary>
internal sealed class OpenApiDocuments
{
    private readonly ResourceCatalog _catalog;
    private readonly object _gate = new();
    private int _generation = -1;
    private Dictionary<string, (string Text, string Hash)> _docs = [];

    public OpenApiDocuments(ResourceCatalog catalog) => _catalog = catalog;

    /// <summary>The <c>/openapi/v3</c> index.</summary>
    public JsonObject Index()
    {
        var paths = new JsonObject();
        foreach (var (key, (_, hash)) in Docs())
        {
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document of one group version (<c>api/v1</c>, <c>apis/g/v</c>), or null.</summary>
    public string? Document(string key) => Docs().TryGetValue(key, out var d) ? d.Text : null;

    private Dictionary<string, (string Text, string Hash)> Docs()
    {
        lock (_gate)
        {
            if (_generation == _catalog.Generation)
            {
                return _docs;
            }

            var docs = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
            foreach (var group in _catalog.All.GroupBy(t => (t.Group, t.Version)))
            {
                var key = group.Key.Group.Length == 0 ? $"api/{group.Key.Version}" : $"apis/{group.Key.Group}/{group.Key.Version}";
                var paths = new JsonObject();
                foreach (var t in group)
                {
                    var item = t.Namespaced
                        ? $"{t.GroupVersionPath}/namespaces/{{namespace}}/{t.Plural}/{{name}}"
                        : $"{t.GroupVersionPath}/{t.Plural}/{{name}}";
                    paths[item] = new JsonObject { ["patch"] = PatchOperation(t, string.Empty) };
                    if (t.HasStatusSubresource)
                    {
                        paths[item + "/status"] = new JsonObject { ["patch"] = PatchOperation(t, "Status") };
                    }
                }

                var doc = new JsonObject
                {
                    ["openapi"] = "3.0.0",
                    ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0-lab" },
                    ["paths"] = paths,
                };
                var text = doc.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
                var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
                docs[key] = (text, hash);
            }

            _docs = docs;
            _generation = _catalog.Generation;
            return docs;
        }
    }

    private static JsonObject PatchOperation(ResourceType t, string suffix) => new()
    {
        ["operationId"] = $"patch{(t.Namespaced ? "Namespaced" : string.Empty)}{t.Kind}{suffix}",
        ["x-kubernetes-action"] = "patch",
        ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind },
        ["parameters"] = new JsonArray(
            new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
            new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
    };
}
