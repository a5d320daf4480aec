using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Contiv.Agent.Config;

/// <summary>Reads durations as Go-style strings ("1s", "500ms", "1m", "1h") or as integer nanoseconds.</summary>
internal sealed class DurationConverter : JsonConverter<TimeSpan>
{
    /// <inheritdoc/>
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return TimeSpan.FromTicks(reader.GetInt64() / 100);
        }

        var s = reader.GetString() ?? string.Empty;
        return Parse(s);
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds}ms"));
    }

    /// <summary>Parses "1s", "500ms", "2m", "1h", "100us", or a bare number of nanoseconds.</summary>
    public static TimeSpan Parse(string text)
    {
        var s = text.Trim();
        if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ns))
        {
            return TimeSpan.FromTicks(ns / 100);
        }

        (string Suffix, double Ms)[] units = [("ms", 1), ("us", 0.001), ("ns", 0.000001), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(s.AsSpan(0, s.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                return TimeSpan.FromMilliseconds(v * ms);
            }
        }

        throw new ConfigException($"duration '{text}' is not valid (use e.g. 500ms, 5s, 1m or nanoseconds)");
    }
}
