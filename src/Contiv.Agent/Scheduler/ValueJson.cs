using System.Text.Json;
using Google.Protobuf;

namespace Contiv.Agent.Scheduler;

/// <summary>JSON rendering of item values for history and dumps (protobuf-JSON for protobuf messages).</summary>
internal static class ValueJson
{
    private static readonly JsonFormatter Proto = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(false));
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Formats a value as a JSON string.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        IMessage m => Proto.Format(m),
        _ => JsonSerializer.Serialize(value, value.GetType(), Options),
    };

    /// <summary>Formats a value as a JSON element (for embedding in REST responses).</summary>
    public static JsonElement ToElement(object? value)
    {
        using var doc = JsonDocument.Parse(Format(value));
        return doc.RootElement.Clone();
    }
}
