using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge recursively, <c>null</c> deletes a key, arrays are replaced whole.</summary>
public static class JsonMergePatch
{
    /// <summary>Applies <paramref name="patch"/> to <paramref name="target"/> (modified in place) and returns the result.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }

        if (target is not JsonObject t)
        {
            t = new JsonObject();
        }

        foreach (var (key, value) in p)
        {
            if (value is null)
            {
                t.Remove(key);
            }
            else
            {
                t.TryGetPropertyValue(key, out var existing);
                if (existing is not null)
                {
                    // Detach in place so that the key keeps its position.
                    t[key] = null;
                }

                t[key] = Apply(existing, value);
            }
        }

        return t;
    }
}
