namespace Contiv.Ui.Proxy;

/// <summary>
/// What a proxied path may look like: relative, without <c>..</c> or <c>.</c> segments (also percent-encoded), without a
/// scheme or a leading slash that would let it name another host, without backslashes or control characters.
/// </summary>
internal static class UpstreamPath
{
    /// <summary>Null when <paramref name="path"/> is acceptable, else why not.</summary>
    public static string? Check(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "no upstream path given";
        }

        if (path.StartsWith('/') || path.Contains("://", StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal))
        {
            return "the path must be relative to the upstream (no scheme, no leading '/', no '\\')";
        }

        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                return "the path contains a control character";
            }
        }

        var decoded = Uri.UnescapeDataString(path);
        foreach (var segment in decoded.Split('/'))
        {
            if (segment is "." or "..")
            {
                return $"'{segment}' segments are not allowed";
            }
        }

        return path.Contains("%2f", StringComparison.OrdinalIgnoreCase) || path.Contains("%5c", StringComparison.OrdinalIgnoreCase)
            ? "encoded '/' or '\\' are not allowed"
            : null;
    }
}
