using Microsoft.Extensions.Logging;

namespace Contiv.Hosting;

/// <summary>
/// The console logging of every Contiv daemon: one line per message with a millisecond timestamp, and the
/// frameworks' own chatter (ASP.NET Core, gRPC, HttpClient) only from warnings up.
/// </summary>
public static class DaemonLogging
{
    /// <summary>Replaces the providers of <paramref name="logging"/> with the daemon console at <paramref name="minimum"/>.</summary>
    /// <param name="logging">The host's (or a factory's) logging builder.</param>
    /// <param name="minimum">Lowest level written.</param>
    /// <returns><paramref name="logging"/>, for chaining.</returns>
    public static ILoggingBuilder AddDaemonConsole(this ILoggingBuilder logging, LogLevel minimum)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        logging.SetMinimumLevel(minimum);
        // Request-level logs of Kestrel and the gRPC server would outnumber the daemon's own at Information.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Grpc", LogLevel.Warning);
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
        return logging;
    }

    /// <summary>
    /// A logger factory writing to the daemon console, for components created before (or without) the web host.
    /// </summary>
    /// <param name="minimum">Lowest level written.</param>
    /// <returns>The factory; the caller disposes it.</returns>
    public static ILoggerFactory CreateFactory(LogLevel minimum) => LoggerFactory.Create(l => l.AddDaemonConsole(minimum));
}
