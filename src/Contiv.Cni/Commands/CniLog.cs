using System.Globalization;
using System.Text;

namespace Contiv.Cni.Commands;

/// <summary>
/// Appends one line per event to the configured log file (<c>logFile</c>) and mirrors warnings to
/// stderr. Each line is written with a single append, so concurrent invocations do not interleave
/// inside a line. A log file that cannot be written is reported on stderr and otherwise ignored:
/// logging must never fail a pod's network setup.
/// </summary>
public sealed class CniLog
{
    private string? _path;
    private string _prefix = string.Empty;

    /// <summary>Starts logging to <paramref name="path"/> (null: stderr only) with a per-invocation prefix.</summary>
    public void Open(string? path, string prefix)
    {
        _path = path;
        _prefix = prefix;
    }

    /// <summary>Logs an informational line (file only).</summary>
    public void Info(string message) => Append("info", message);

    /// <summary>Logs a warning (file and stderr).</summary>
    public void Warn(string message)
    {
        Console.Error.WriteLine($"contiv-cni: {_prefix}{message}");
        Append("warn", message);
    }

    /// <summary>Logs an error (file and stderr).</summary>
    public void Error(string message)
    {
        Console.Error.WriteLine($"contiv-cni: {_prefix}{message}");
        Append("error", message);
    }

    private void Append(string level, string message)
    {
        if (_path is null)
        {
            return;
        }

        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} pid={Environment.ProcessId} {level} {_prefix}{message}\n");
        try
        {
            var dir = Path.GetDirectoryName(_path);
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }

            using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            file.Write(Encoding.UTF8.GetBytes(line));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"contiv-cni: cannot write log file {_path}: {e.Message}");
            _path = null;
        }
    }
}
