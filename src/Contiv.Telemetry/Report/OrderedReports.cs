using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Contiv.Telemetry.Report;

/// <summary>A read-only map that enumerates in insertion order (nodes by ID, then "global").</summary>
internal sealed class OrderedReports(IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> entries) : IReadOnlyDictionary<string, IReadOnlyList<string>>
{
    public IReadOnlyList<string> this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"no report for '{key}'");

    public IEnumerable<string> Keys => entries.Select(e => e.Key);

    public IEnumerable<IReadOnlyList<string>> Values => entries.Select(e => e.Value);

    public int Count => entries.Count;

    public bool ContainsKey(string key) => entries.Any(e => e.Key == key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out IReadOnlyList<string> value)
    {
        foreach (var e in entries)
        {
            if (e.Key == key)
            {
                value = e.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, IReadOnlyList<string>>> GetEnumerator() => entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
