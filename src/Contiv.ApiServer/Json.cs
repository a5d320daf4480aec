using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Contiv.ApiServer;

/// <summary>Small helpers over <see cref="JsonNode"/> trees (objects are stored generically, any kind works).</summary>
internal static class Json
{
    /// <summary>Writer options: compact, and no HTML-safe escaping (<c>"</c> stays <c>\"</c>, not <c>\u0022</c>).</summary>
    public static readonly JsonWriterOptions Writer = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Committed objects (frozen: never modified again) → their compact JSON, serialised on first use and then
    // copied as-is into the create/update response, every watcher's stream and lists (a pod used to be serialised
    // once for its create response and again for each watcher). Weak keys: an entry lives as long as its object.
    private static readonly ConditionalWeakTable<JsonObject, Serialized> CommittedJson = new();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    [ThreadStatic]
    private static Utf8JsonWriter? _scratchWriter;

    private sealed class Serialized
    {
        public byte[]? Utf8;
    }

    /// <summary>
    /// Marks <paramref name="obj"/> as committed: it will never be modified again, so <see cref="Write"/> may
    /// serialise it once and reuse the bytes.
    /// </summary>
    public static void MarkCommitted(JsonObject obj) => CommittedJson.AddOrUpdate(obj, new Serialized());

    /// <summary>Writes <paramref name="node"/> (its cached JSON when it is a committed object).</summary>
    public static void Write(Utf8JsonWriter w, JsonNode node)
    {
        if (node is JsonObject o && CommittedJson.TryGetValue(o, out var cached))
        {
            w.WriteRawValue(Volatile.Read(ref cached.Utf8) ?? Serialize(o, cached), skipInputValidation: true);
            return;
        }

        node.WriteTo(w);
    }

    /// <summary>The compact JSON of <paramref name="obj"/> (cached when it is a committed object).</summary>
    public static ReadOnlySpan<byte> Utf8(JsonObject obj)
    {
        if (CommittedJson.TryGetValue(obj, out var cached))
        {
            return Volatile.Read(ref cached.Utf8) ?? Serialize(obj, cached);
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Writer))
        {
            obj.WriteTo(w);
        }

        return buffer.WrittenSpan;
    }

    private static byte[] Serialize(JsonObject obj, Serialized cached)
    {
        var buffer = _scratch ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var w = _scratchWriter ??= new Utf8JsonWriter(buffer, Writer);
        w.Reset(buffer);
        obj.WriteTo(w);
        w.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        Volatile.Write(ref cached.Utf8, bytes);
        return bytes;
    }

    /// <summary>Walks a path of object keys; null when any step is missing or not an object.</summary>
    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>String at a path (numbers and booleans are rendered), or null.</summary>
    public static string? Str(JsonNode? node, params string[] path) => AsString(At(node, path));

    /// <summary>Renders a scalar node as text; null for missing, null or non-scalar nodes.</summary>
    public static string? AsString(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        return v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        };
    }

    /// <summary>Object at a path, created (with intermediate objects) when missing.</summary>
    public static JsonObject Obj(JsonObject root, params string[] path)
    {
        var cur = root;
        foreach (var key in path)
        {
            if (cur[key] is not JsonObject next)
            {
                next = new JsonObject();
                cur[key] = next;
            }

            cur = next;
        }

        return cur;
    }

    /// <summary>Integer value of a scalar (number or numeric string), or null.</summary>
    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        switch (v.GetValueKind())
        {
            case JsonValueKind.Number:
                // Values may be backed by a parsed element or by any CLR number type (int, long, double…).
                if (v.TryGetValue<long>(out var l))
                {
                    return l;
                }

                if (v.TryGetValue<int>(out var i))
                {
                    return i;
                }

                var text = v.ToJsonString();
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out l))
                {
                    return l;
                }

                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)d : null;
            case JsonValueKind.String:
                return long.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out l) ? l : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Forces every object and array of the tree to materialize its children, so that the tree can be
    /// read from many threads at once afterwards (parsed nodes initialize lazily and not thread-safely).
    /// </summary>
    public static void Freeze(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var kv in o)
                {
                    Freeze(kv.Value);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Freeze(item);
                }

                break;
            case JsonValue v:
                _ = v.GetValueKind();
                break;
            default:
                break;
        }
    }

    /// <summary>Parses a JSON object body; 400 BadRequest when it is not a JSON object.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> body, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"{what}: body is not valid JSON: {e.Message}");
        }

        return node as JsonObject ?? throw ApiException.BadRequest($"{what}: body must be a JSON object, got {node?.GetValueKind().ToString() ?? "null"}");
    }

    /// <summary>Deep equality of two trees (object key order ignored).</summary>
    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    /// <summary>Current time as RFC 3339 with second precision, UTC.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses an RFC 3339 timestamp; null when missing or invalid.</summary>
    public static DateTimeOffset? ParseTime(string? s)
        => s is not null && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
