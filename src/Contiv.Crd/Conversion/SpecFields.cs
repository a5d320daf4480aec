using System.Globalization;
using System.Text.Json;
using Contiv.Ksr.Conversion;

namespace Contiv.Crd.Conversion;

/// <summary>
/// Reads fields of a custom resource's <c>spec</c> the way Contiv's Go types do (encoding/json:
/// field names matched case-insensitively, absent = zero value), and names the object, the field
/// and the value when one has the wrong type.
/// </summary>
/// <param name="Owner">The object, e.g. <c>NodeConfig default/node-1</c>, for messages.</param>
/// <param name="Element">The JSON object (undefined/null = empty).</param>
/// <param name="Path">Path of <paramref name="Element"/> inside the object, e.g. <c>spec.mainVPPInterface</c>.</param>
internal readonly record struct SpecFields(string Owner, JsonElement Element, string Path)
{
    /// <summary>True when the element is a JSON object.</summary>
    public bool IsObject => Element.ValueKind == JsonValueKind.Object;

    /// <summary>A string field; empty when absent or null.</summary>
    /// <param name="name">Field name.</param>
    public string String(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Bad(name, value, "a string");
    }

    /// <summary>A boolean field; false when absent or null.</summary>
    /// <param name="name">Field name.</param>
    public bool Bool(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(name, value, "true or false"),
        };
    }

    /// <summary>A non-negative integer field; 0 when absent or null.</summary>
    /// <param name="name">Field name.</param>
    /// <param name="max">Largest accepted value.</param>
    public uint UInt(string name, uint max = uint.MaxValue)
    {
        if (!TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt32(out var n) && n <= max)
        {
            return n;
        }

        throw Bad(name, value, string.Create(CultureInfo.InvariantCulture, $"an integer 0-{max}"));
    }

    /// <summary>A nested object (an empty one when absent).</summary>
    /// <param name="name">Field name.</param>
    public SpecFields Object(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return new SpecFields(Owner, default, Path + "." + name);
        }

        return value.ValueKind == JsonValueKind.Object ? new SpecFields(Owner, value, Path + "." + name) : throw Bad(name, value, "an object");
    }

    /// <summary>The elements of an array of objects (none when absent).</summary>
    /// <param name="name">Field name.</param>
    public IEnumerable<SpecFields> Objects(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Bad(name, value, "a list");
        }

        var path = Path + "." + name;
        var owner = Owner;
        return value.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Object
            ? new SpecFields(owner, e, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]")
            : throw new ConversionException($"{owner}: {path}[{i}] must be an object, not {e.GetRawText()}")).ToList();
    }

    /// <summary>A map of strings (empty when absent).</summary>
    /// <param name="name">Field name.</param>
    public IReadOnlyDictionary<string, string> StringMap(string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var obj = Object(name);
        if (!obj.IsObject)
        {
            return map;
        }

        foreach (var p in obj.Element.EnumerateObject())
        {
            map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw obj.Bad(p.Name, p.Value, "a string");
        }

        return map;
    }

    /// <summary>An error naming the object, the field and its value.</summary>
    /// <param name="name">Field name.</param>
    /// <param name="value">The bad value.</param>
    /// <param name="expected">What was expected, e.g. "a string".</param>
    public ConversionException Bad(string name, JsonElement value, string expected) =>
        new($"{Owner}: {Path}.{name} must be {expected}, not {value.GetRawText()}");

    private bool TryGet(string name, out JsonElement value)
    {
        value = default;
        if (Element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        // encoding/json semantics: an exact match wins, else the first case-insensitive one.
        if (Element.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var p in Element.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }

        return false;
    }
}
