using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Contiv.Ksr.Hosting;

/// <summary>
/// Log levels that can be changed while running (<c>GET /log/list</c>, <c>PUT /log/{logger}/{level}</c>,
/// as Contiv's KSR offered): a default level plus overrides per logger name, where an override for
/// <c>contiv-ksr.reflector</c> also covers <c>contiv-ksr.reflector.Pod</c>. Thread-safe.
/// </summary>
internal sealed class LogLevels
{
    private readonly ConcurrentDictionary<string, LogLevel> _overrides = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private volatile int _default;

    /// <summary>Creates the table with a default level.</summary>
    /// <param name="defaultLevel">Level of loggers without an override.</param>
    public LogLevels(LogLevel defaultLevel) => _default = (int)defaultLevel;

    /// <summary>Level of loggers without an override.</summary>
    public LogLevel Default => (LogLevel)_default;

    /// <summary>The logging filter: true when <paramref name="category"/> logs at <paramref name="level"/>.</summary>
    /// <param name="category">Logger name.</param>
    /// <param name="level">Level of the message.</param>
    public bool IsEnabled(string? category, LogLevel level)
    {
        category ??= string.Empty;
        _seen.TryAdd(category, 0);
        return level != LogLevel.None && level >= LevelOf(category);
    }

    /// <summary>The effective level of a logger.</summary>
    /// <param name="category">Logger name.</param>
    public LogLevel LevelOf(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        var name = category;
        while (true)
        {
            if (_overrides.TryGetValue(name, out var level))
            {
                return level;
            }

            var dot = name.LastIndexOf('.');
            if (dot < 0)
            {
                return Default;
            }

            name = name[..dot];
        }
    }

    /// <summary>Sets the level of a logger (and the loggers below it).</summary>
    /// <param name="logger">Logger name, e.g. <c>contiv-ksr.reflector.Pod</c>; <c>default</c> changes the default.</param>
    /// <param name="level">Level name: Trace, Debug, Information (or info), Warning (or warn), Error, Critical, None.</param>
    /// <exception cref="ArgumentException">The level is not a level name.</exception>
    public void Set(string logger, string level)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(level);
        var parsed = level.ToUpperInvariant() switch
        {
            "INFO" => LogLevel.Information,
            "WARN" => LogLevel.Warning,
            "DEBUG" => LogLevel.Debug,
            _ when Enum.TryParse<LogLevel>(level, ignoreCase: true, out var l) && Enum.IsDefined(l) => l,
            _ => throw new ArgumentException($"log level '{level}' for logger '{logger}' is not one of Trace, Debug, Information, Warning, Error, Critical, None", nameof(level)),
        };
        if (string.Equals(logger, "default", StringComparison.Ordinal))
        {
            _default = (int)parsed;
        }
        else
        {
            _overrides[logger] = parsed;
        }
    }

    /// <summary>Every logger seen so far with its effective level, by name.</summary>
    public SortedDictionary<string, string> List()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in _seen.Keys.Concat(_overrides.Keys))
        {
            result[name] = LevelOf(name).ToString();
        }

        return result;
    }
}
