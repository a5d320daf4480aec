using System.Text;

namespace Contiv.Lab.Kubelet.Cri;

/// <summary>
/// The CRI container log format containerd writes (<c>2026-12-07T03:23:30.333407605Z stdout F message</c>:
/// time, stream, F for a full line or P for a part): what <c>kubectl logs</c> shows is the message alone, with the
/// parts of a long line (P, P, …, F) joined back into one line.
/// </summary>
internal static class CriLogLine
{
    /// <summary>The message of a CRI log line; any other line unchanged (the process runner's plain output).</summary>
    public static string Message(string line) => TryParse(line, out var message, out _, out _) ? message : line;

    /// <summary>Splits a CRI record into its message, stream and P (partial) tag; false for any other line.</summary>
    public static bool TryParse(string line, out string message, out bool stderr, out bool partial)
    {
        message = line;
        stderr = partial = false;
        var first = line.IndexOf(' ', StringComparison.Ordinal);
        if (first < 20 || line[first - 1] != 'Z' || line[10] != 'T')
        {
            return false;
        }

        var rest = line.AsSpan(first + 1);
        var stream = rest.StartsWith("stdout ", StringComparison.Ordinal) || rest.StartsWith("stderr ", StringComparison.Ordinal);
        if (!stream || rest.Length < 8 || rest[7] is not ('F' or 'P') || (rest.Length > 8 && rest[8] != ' '))
        {
            return false;
        }

        stderr = rest[3] == 'e';
        partial = rest[7] == 'P';
        message = rest.Length > 9 ? rest[9..].ToString() : string.Empty;
        return true;
    }

    /// <summary>
    /// Joins the records of one log file into the container's lines: P records are held per stream until the F record
    /// that ends them (stdout and stderr interleave independently).
    /// </summary>
    internal sealed class Joiner
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        /// <summary>The complete line this record ends, or null while the line is still partial.</summary>
        public string? Add(string record)
        {
            if (!TryParse(record, out var message, out var stderr, out var partial))
            {
                return record;
            }

            var held = stderr ? _stderr : _stdout;
            if (partial)
            {
                held.Append(message);
                return null;
            }

            if (held.Length == 0)
            {
                return message;
            }

            var line = held.Append(message).ToString();
            held.Clear();
            return line;
        }
    }
}
