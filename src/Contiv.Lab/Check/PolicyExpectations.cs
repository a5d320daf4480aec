namespace Contiv.Lab.Check;

/// <summary>
/// What the check expects of pods that NetworkPolicies isolate. A pod annotated
/// <c>lab.contiv.io/allowed-from: "shop-front/*, shop-back/api"</c> expects TCP connections only from the sources
/// listed (labels as in the matrix: <c>namespace/pod</c>, <c>host/node1</c>; <c>*</c> matches any run of characters)
/// and expects every other source to be <b>blocked</b>: a blocked probe is then a pass. For such a pod only the TCP
/// probe counts (a policy that opens a port does not open ICMP).
/// </summary>
public static class PolicyExpectations
{
    /// <summary>The annotation listing the sources a pod expects connections from.</summary>
    public const string AllowedFromAnnotation = "lab.contiv.io/allowed-from";

    /// <summary>The patterns of the annotation's value (comma or whitespace separated); null when absent.</summary>
    public static IReadOnlyList<string>? Parse(IDictionary<string, string>? annotations) =>
        annotations is not null && annotations.TryGetValue(AllowedFromAnnotation, out var v)
            ? v.Split([',', ' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : null;

    /// <summary>True when <paramref name="source"/> matches one of <paramref name="patterns"/>.</summary>
    public static bool Allows(IReadOnlyList<string> patterns, string source)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        foreach (var p in patterns)
        {
            if (Glob(p, source))
            {
                return true;
            }
        }

        return false;
    }

    // '*' matches any run of characters (including '/'); everything else literally.
    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (pattern.Length > 0)
        {
            if (pattern[0] == '*')
            {
                var rest = pattern[1..];
                for (var i = 0; i <= text.Length; i++)
                {
                    if (Glob(rest, text[i..]))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (text.Length == 0 || text[0] != pattern[0])
            {
                return false;
            }

            pattern = pattern[1..];
            text = text[1..];
        }

        return text.Length == 0;
    }
}
