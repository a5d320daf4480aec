using System.Globalization;

namespace Contiv.Cni.Protocol;

/// <summary>
/// The CNI specification versions contiv-cni speaks, comparison and negotiation.
/// </summary>
public static class CniVersions
{
    /// <summary>The newest version; reported by VERSION and used for errors when nothing else is known.</summary>
    public const string Current = "1.1.0";

    /// <summary>Every supported version, oldest first (0.1.0 and 0.2.0 have no rich result: not supported).</summary>
    public static readonly IReadOnlyList<string> Supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    /// <summary>True when <paramref name="version"/> is one of <see cref="Supported"/>.</summary>
    public static bool IsSupported(string? version) => version is not null && Supported.Contains(version);

    /// <summary>
    /// Picks the version to speak: the highest supported version in <c>cniVersion</c> ∪ <c>cniVersions</c>
    /// (the spec's negotiation rule, so a runtime that already negotiated gets its own choice back).
    /// </summary>
    /// <exception cref="CniException">Code 1 when none of the requested versions is supported.</exception>
    public static string Negotiate(string? cniVersion, IReadOnlyList<string> cniVersions)
    {
        string? best = null;
        foreach (var candidate in cniVersions.Prepend(cniVersion ?? string.Empty))
        {
            if (IsSupported(candidate) && (best is null || Compare(candidate, best) > 0))
            {
                best = candidate;
            }
        }

        if (best is not null)
        {
            return best;
        }

        var requested = cniVersion is null or "" ? "(none: cniVersion is missing)" : $"cniVersion \"{cniVersion}\"";
        if (cniVersions.Count > 0)
        {
            requested += $" and cniVersions [{string.Join(", ", cniVersions)}]";
        }

        throw new CniException(CniErrorCode.IncompatibleVersion,
            $"incompatible CNI version: requested {requested}; contiv-cni supports {string.Join(", ", Supported)}");
    }

    /// <summary>Compares two dotted versions numerically (<c>0.10.0</c> &gt; <c>0.9.0</c>); unparsable parts count as 0.</summary>
    public static int Compare(string a, string b)
    {
        var pa = a.Split('.');
        var pb = b.Split('.');
        for (var i = 0; i < Math.Max(pa.Length, pb.Length); i++)
        {
            var x = i < pa.Length && int.TryParse(pa[i], NumberStyles.None, CultureInfo.InvariantCulture, out var vx) ? vx : 0;
            var y = i < pb.Length && int.TryParse(pb[i], NumberStyles.None, CultureInfo.InvariantCulture, out var vy) ? vy : 0;
            if (x != y)
            {
                return x.CompareTo(y);
            }
        }

        return 0;
    }

    /// <summary>True when <paramref name="version"/> is <paramref name="minimum"/> or newer.</summary>
    public static bool AtLeast(string version, string minimum) => Compare(version, minimum) >= 0;
}
