namespace Contiv.Lab.Kubelet.Cri;

/// <summary>
/// The CRI container log format containerd writes (<c>2026-12-07T03:23:30.333407605Z stdout F message</c>:
/// time, stream, F for a full line or P for a part): what <c>kubectl logs</c> shows is the message alone.
/// </summary>
internal static class CriLogLine
{
    /// <summary>The message of a CRI log line; any other line unchanged (the process runner's plain output).</summary>
    public static string Message(string line)
    {
        var first = line.IndexOf(' ', StringComparison.Ordinal);
        if (first < 20 || line[first - 1] != 'Z' || line[10] != 'T')
        {
            return line;
        }

        var rest = line.AsSpan(first + 1);
        var stream = rest.StartsWith("stdout ", StringComparison.Ordinal) || rest.StartsWith("stderr ", StringComparison.Ordinal);
        if (!stream || rest.Length < 9 || rest[7] is not ('F' or 'P') || (rest.Length > 8 && rest[8] != ' '))
        {
            return line;
        }

        return rest.Length > 9 ? rest[9..].ToString() : string.Empty;
    }
}
