using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Contiv.ApiServer.Selectors;

/// <summary>
/// A parsed Kubernetes label selector (<c>a=b,c!=d,e in (f,g),!h,i&gt;5</c>); requirements are ANDed.
/// An empty selector matches everything.
/// </summary>
public sealed partial class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    /// <summary>The selector that matches everything.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>True when the selector has no requirement.</summary>
    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>Parses a selector; throws 400 BadRequest naming the bad requirement.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var list = new List<Requirement>();
        foreach (var raw in SplitTopLevel(text))
        {
            var term = raw.Trim();
            if (term.Length == 0)
            {
                throw ApiException.BadRequest($"unable to parse requirement: empty requirement in label selector \"{text}\"");
            }

            list.Add(ParseRequirement(term));
        }

        return new LabelSelector(list);
    }

    /// <summary>True when the labels (the <c>metadata.labels</c> object, possibly null) satisfy every requirement.</summary>
    public bool Matches(JsonObject? labels)
    {
        foreach (var r in _requirements)
        {
            string? value = null;
            var has = labels is not null && labels.TryGetPropertyValue(r.Key, out var node) && (value = Json.AsString(node)) is not null;
            if (!r.Matches(has, value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when a plain map of labels (e.g. a service selector's target) satisfies the selector.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in _requirements)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            if (!r.Matches(has, value))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
                default:
                    break;
            }
        }

        yield return text[start..];
    }

    private static Requirement ParseRequirement(string term)
    {
        if (term.StartsWith('!'))
        {
            var key = term[1..].Trim();
            CheckKey(key, term);
            return new Requirement(key, Op.DoesNotExist, []);
        }

        var set = SetRegex().Match(term);
        if (set.Success)
        {
            var key = set.Groups["key"].Value;
            CheckKey(key, term);
            var values = set.Groups["values"].Value.Split(',').Select(v => v.Trim()).ToArray();
            foreach (var v in values)
            {
                CheckValue(v, term);
            }

            return new Requirement(key, set.Groups["op"].Value == "in" ? Op.In : Op.NotIn, values);
        }

        var cmp = CompareRegex().Match(term);
        if (cmp.Success)
        {
            var key = cmp.Groups["key"].Value.Trim();
            var value = cmp.Groups["value"].Value.Trim();
            CheckKey(key, term);
            var op = cmp.Groups["op"].Value switch
            {
                "=" or "==" => Op.Equals,
                "!=" => Op.NotEquals,
                ">" => Op.GreaterThan,
                _ => Op.LessThan,
            };
            if (op is Op.GreaterThan or Op.LessThan)
            {
                if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    throw ApiException.BadRequest($"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: \"{term}\"");
                }
            }
            else
            {
                CheckValue(value, term);
            }

            return new Requirement(key, op, [value]);
        }

        CheckKey(term, term);
        return new Requirement(term, Op.Exists, []);
    }

    private static void CheckKey(string key, string term)
    {
        var slash = key.LastIndexOf('/');
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        var prefix = slash >= 0 ? key[..slash] : null;
        if (name.Length == 0 || name.Length > 63 || !NameRegex().IsMatch(name) || (prefix is not null && (prefix.Length == 0 || prefix.Length > 253 || !PrefixRegex().IsMatch(prefix))))
        {
            throw ApiException.BadRequest($"unable to parse requirement: invalid label key \"{key}\" in \"{term}\": a valid label key is an optional DNS subdomain prefix and '/' followed by a name of at most 63 alphanumeric characters, '-', '_' or '.'");
        }
    }

    private static void CheckValue(string value, string term)
    {
        if (value.Length > 63 || (value.Length > 0 && !NameRegex().IsMatch(value)))
        {
            throw ApiException.BadRequest($"unable to parse requirement: invalid label value \"{value}\" in \"{term}\": a valid label value is empty or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character");
        }
    }

    [GeneratedRegex(@"^\s*(?<key>[^\s!=<>(),]+)\s+(?<op>in|notin)\s*\((?<values>[^()]*)\)\s*$")]
    private static partial Regex SetRegex();

    [GeneratedRegex(@"^\s*(?<key>[^!=<>]+?)\s*(?<op>==|=|!=|>|<)\s*(?<value>[^=!<>]*)$")]
    private static partial Regex CompareRegex();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex NameRegex();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex PrefixRegex();

    private enum Op
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
        GreaterThan,
        LessThan,
    }

    private sealed record Requirement(string Key, Op Operator, string[] Values)
    {
        public bool Matches(bool has, string? value) => Operator switch
        {
            Op.Equals => has && value == Values[0],
            Op.NotEquals => !has || value != Values[0],
            Op.In => has && Values.Contains(value),
            Op.NotIn => !has || !Values.Contains(value),
            Op.Exists => has,
            Op.DoesNotExist => !has,
            Op.GreaterThan => has && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var g) && g > long.Parse(Values[0], CultureInfo.InvariantCulture),
            Op.LessThan => has && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l < long.Parse(Values[0], CultureInfo.InvariantCulture),
            _ => false,
        };
    }
}
