using System.Globalization;

namespace Contiv.Lab.Lab;

/// <summary>One-line timestamped log records on stdout (the lab's daemons run with stdout in their log file).</summary>
public static class LabLog
{
    private static readonly Lock Gate = new();

    /// <summary>Writes an informational line.</summary>
    public static void Info(string component, string message) => Write("INFO", component, message);

    /// <summary>Writes a warning line.</summary>
    public static void Warn(string component, string message) => Write("WARN", component, message);

    /// <summary>Writes an error line.</summary>
    public static void Error(string component, string message) => Write("ERROR", component, message);

    private static void Write(string level, string component, string message)
    {
        lock (Gate)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level,-5} {component}: {message}"));
            Console.Out.Flush();
        }
    }
}
