using System.Globalization;
using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Patching;

/// <summary>RFC 6902 JSON patch (<c>add</c>, <c>remove</c>, <c>replace</c>, <c>move</c>, <c>copy</c>, <c>test</c>).</summary>
public static class JsonPatch
{
    /// <summary>Applies the operations to <paramref name="document"/> in place; 422 Invalid on a failing operation.</summary>
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var root = new JsonObject { ["r"] = document };
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject op)
            {
                throw Fail($"operation {i} is not an object");
            }

            var kind = Json.Str(op, "op") ?? throw Fail($"operation {i} has no \"op\"");
            var path = Json.Str(op, "path") ?? throw Fail($"operation {i} ({kind}) has no \"path\"");
            switch (kind)
            {
                case "add":
                    Add(root, path, Value(op, i));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, Value(op, i));
                    break;
                case "move":
                {
                    var from = Json.Str(op, "from") ?? throw Fail($"operation {i} (move) has no \"from\"");
                    var moved = Remove(root, from);
                    Add(root, path, moved);
                    break;
                }

                case "copy":
                {
                    var from = Json.Str(op, "from") ?? throw Fail($"operation {i} (copy) has no \"from\"");
                    Add(root, path, Get(root, from)?.DeepClone());
                    break;
                }

                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), Value(op, i)))
                    {
                        throw Fail($"test operation at {path} failed: value differs");
                    }

                    break;
                default:
                    throw Fail($"unknown operation \"{kind}\" at index {i}");
            }
        }

        var result = root["r"] ?? throw Fail("the patch removed the whole document");
        root.Remove("r");
        return result;
    }

    private static ApiException Fail(string message) => new(422, "Invalid", $"the server rejected our request due to an error in our request: json patch: {message}");

    private static JsonNode? Value(JsonObject op, int i)
        => op.TryGetPropertyValue("value", out var v) ? v?.DeepClone() : throw Fail($"operation {i} has no \"value\"");

    private static List<string> Tokens(string pointer)
    {
        if (pointer.Length == 0)
        {
            return ["r"];
        }

        if (pointer[0] != '/')
        {
            throw Fail($"path \"{pointer}\" must start with '/'");
        }

        var list = new List<string> { "r" };
        list.AddRange(pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)));
        return list;
    }

    private static (JsonNode Parent, string Last) Parent(JsonObject root, string pointer)
    {
        var tokens = Tokens(pointer);
        JsonNode cur = root;
        for (var i = 0; i < tokens.Count - 1; i++)
        {
            cur = Child(cur, tokens[i]) ?? throw Fail($"path \"{pointer}\": \"{tokens[i]}\" does not exist");
        }

        return (cur, tokens[^1]);
    }

    private static JsonNode? Child(JsonNode node, string token) => node switch
    {
        JsonObject o => o.TryGetPropertyValue(token, out var v) ? v : null,
        JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
        _ => null,
    };

    private static JsonNode? Get(JsonObject root, string pointer)
    {
        var (parent, last) = Parent(root, pointer);
        return Child(parent, last);
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value)
    {
        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(last);
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Fail($"cannot add at \"{pointer}\"");
        }
    }

    private static JsonNode? Remove(JsonObject root, string pointer)
    {
        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var v):
                o.Remove(last);
                return v;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                var item = a[i];
                a.RemoveAt(i);
                return item;
            default:
                throw Fail($"path \"{pointer}\" does not exist");
        }
    }
}
