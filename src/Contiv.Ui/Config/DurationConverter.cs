using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Contiv.Ui.Config;

/// <summary>Durations as <c>10s</c>, <c>500ms</c>, <c>1m</c> or a number of seconds.</summary>
internal sealed class DurationConverter : JsonConverter<TimeSpan>
{
    /// <inheritdoc/>
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return TimeSpan.FromSeconds(reader.GetDouble());
        }

        var s = reader.GetString() ?? string.Empty;
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(s[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                return TimeSpan.FromSeconds(v * scale);
            }
        }

        throw new JsonException($"'{s}' is not a duration (use e.g. 10s, 500ms, 1m)");
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue($"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
    }
}
