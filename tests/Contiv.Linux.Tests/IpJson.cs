using System.Text.Json;
using Contiv.Testing;

namespace Contiv.Linux.Tests;

/// <summary>Runs <c>ip -n NS -j …</c> (an independent view of the kernel state) and parses the JSON.</summary>
internal static class IpJson
{
    public static JsonElement[] Query(string ns, string args)
    {
        var output = Shell.Ip($"-n {ns} -j {args}");
        return string.IsNullOrWhiteSpace(output) ? [] : [.. JsonDocument.Parse(output).RootElement.EnumerateArray()];
    }

    public static string? Str(this JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int? Int(this JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
}
