using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>Secrets: type Opaque by default, <c>stringData</c> folded into <c>data</c>.</summary>
internal sealed class SecretStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun) => NormalizeSecret(obj);

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun) => NormalizeSecret(next);

    // stringData is write-only: merged into data (base64), like the real registry.
    private static void NormalizeSecret(JsonObject secret)
    {
        secret["type"] ??= "Opaque";
        if (secret["stringData"] is JsonObject stringData)
        {
            var data = Json.Obj(secret, "data");
            foreach (var (k, v) in stringData)
            {
                data[k] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Json.AsString(v) ?? string.Empty));
            }
        }

        secret.Remove("stringData");
    }
}
