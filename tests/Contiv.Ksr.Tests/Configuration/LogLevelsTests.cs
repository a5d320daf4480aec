using Contiv.Ksr.Hosting;
using Microsoft.Extensions.Logging;

namespace Contiv.Ksr.Tests.Configuration;

public sealed class LogLevelsTests
{
    [Fact]
    public void Override_applies_to_the_logger_and_the_loggers_below_it()
    {
        var levels = new LogLevels(LogLevel.Information);
        Assert.False(levels.IsEnabled("contiv-ksr.reflector.Pod", LogLevel.Debug));
        levels.Set("contiv-ksr.reflector", "debug");
        Assert.True(levels.IsEnabled("contiv-ksr.reflector.Pod", LogLevel.Debug));
        Assert.False(levels.IsEnabled("contiv-ksr.sync", LogLevel.Debug));
        levels.Set("contiv-ksr.reflector.Pod", "Error");
        Assert.False(levels.IsEnabled("contiv-ksr.reflector.Pod", LogLevel.Warning));
        Assert.True(levels.IsEnabled("contiv-ksr.reflector.Node", LogLevel.Debug));
        levels.Set("default", "warn");
        Assert.False(levels.IsEnabled("contiv-ksr.sync", LogLevel.Information));
        Assert.Equal("Debug", levels.List()["contiv-ksr.reflector.Node"]);
    }

    [Fact]
    public void Unknown_level_is_rejected_naming_logger_and_level()
    {
        var e = Assert.Throws<ArgumentException>(() => new LogLevels(LogLevel.Information).Set("contiv-ksr.sync", "loud"));
        Assert.Contains("loud", e.Message, StringComparison.Ordinal);
        Assert.Contains("contiv-ksr.sync", e.Message, StringComparison.Ordinal);
    }
}
