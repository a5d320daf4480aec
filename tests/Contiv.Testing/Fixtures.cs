namespace Contiv.Testing;

/// <summary>Helpers for xUnit fixtures.</summary>
public static class Fixtures
{
    /// <summary>
    /// Runs <paramref name="start"/>; when it throws, runs <paramref name="dispose"/> before rethrowing —
    /// xUnit does not call DisposeAsync when InitializeAsync fails, so whatever was started would leak.
    /// </summary>
    public static async Task StartOrCleanUpAsync(Func<Task> start, Func<Task> dispose)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(dispose);
        try
        {
            await start();
        }
        catch
        {
            await dispose();
            throw;
        }
    }
}
