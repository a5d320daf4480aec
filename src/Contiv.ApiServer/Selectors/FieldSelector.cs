using System.Text;
using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Selectors;

/// <summary>
/// A parsed field selector (<c>spec.nodeName=n1,metadata.name!=x</c>): only <c>=</c>, <c>==</c>, <c>!=</c>,
/// ANDed; <c>\,</c>, <c>\=</c>, <c>\\</c> escape in values. Fields are checked against the resource's
/// supported set when the selector is bound to a resource.
/// </summary>
public sealed class FieldSelector
{
    private readonly List<(string Field, bool Equal, string Value)> _terms;

    private FieldSelector(List<(string, bool, string)> terms) => _terms = terms;

    /// <summary>The selector that matches everything.</summary>
    public static FieldSelector Everything { get; } = new([]);

    /// <summary>True when the selector has no term.</summary>
    public bool IsEmpty => _terms.Count == 0;

    /// <summary>The value the selector requires for <paramref name="field"/> with <c>=</c>, or null.</summary>
    public string? RequiredValue(string field)
    {
        foreach (var t in _terms)
        {
            if (t.Equal && t.Field == field)
            {
                return t.Value;
            }
        }

        return null;
    }

    /// <summary>Parses a selector and checks its fields against <paramref name="type"/>; 400 BadRequest on errors.</summary>
    public static FieldSelector Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string, bool, string)>();
        foreach (var term in SplitUnescaped(text))
        {
            var (field, equal, value) = ParseTerm(term, text);
            if (type.FieldValue(new JsonObject(), field) is null)
            {
                throw ApiException.BadRequest($"field label not supported: {field}");
            }

            terms.Add((field, equal, value));
        }

        return new FieldSelector(terms);
    }

    /// <summary>True when the object satisfies every term.</summary>
    public bool Matches(JsonObject obj, ResourceType type)
    {
        foreach (var (field, equal, value) in _terms)
        {
            var actual = type.FieldValue(obj, field) ?? string.Empty;
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return true;
    }

    private static List<string> SplitUnescaped(string text)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == ',')
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static (string Field, bool Equal, string Value) ParseTerm(string term, string whole)
    {
        for (var i = 0; i < term.Length; i++)
        {
            var c = term[i];
            if (c == '\\')
            {
                i++;
                continue;
            }

            if (c == '!' && i + 1 < term.Length && term[i + 1] == '=')
            {
                return (term[..i].Trim(), false, Unescape(term[(i + 2)..]));
            }

            if (c == '=')
            {
                var skip = i + 1 < term.Length && term[i + 1] == '=' ? 2 : 1;
                return (term[..i].Trim(), true, Unescape(term[(i + skip)..]));
            }
        }

        throw ApiException.BadRequest($"invalid selector: '{whole}'; can't understand '{term}'");
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                i++;
            }

            sb.Append(s[i]);
        }

        return sb.ToString();
    }
}
