using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Google.Protobuf;

namespace Contiv.Agent.Scheduler;

/// <summary>JSON rendering of item values for history and dumps (protobuf-JSON for protobuf messages).</summary>
internal static class ValueJson
{
    private static readonly JsonFormatter Proto = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(false));

    // The agent's own value types (Linux items) are source-generated (CamelJson); values of other types (tests'
    // descriptors) are serialised by reflection where reflection is on, i.e. not in the NativeAOT executable.
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = JsonSerializer.IsReflectionEnabledByDefault ? JsonTypeInfoResolver.Combine(CamelJson.Default, Reflection()) : CamelJson.Default,
    };

    /// <summary>Formats a value as a JSON string.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        IMessage m => Proto.Format(m),
        _ => Options.TryGetTypeInfo(value.GetType(), out var info) ? JsonSerializer.Serialize(value, info) : JsonSerializer.Serialize(value.ToString() ?? string.Empty, AgentJson.Default.String),
    };

    /// <summary>Formats a value as a JSON element (for embedding in REST responses).</summary>
    public static JsonElement ToElement(object? value)
    {
        using var doc = JsonDocument.Parse(Format(value));
        return doc.RootElement.Clone();
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only used when reflection-based serialisation is enabled (the JIT-compiled assembly in tests).")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above.")]
    private static DefaultJsonTypeInfoResolver Reflection() => new();
}
