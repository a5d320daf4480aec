namespace Contiv.Lab.Processes;

/// <summary>
/// Restart delays of a supervised daemon, as kubelet restarts a crashed container: the first restart after
/// <see cref="Initial"/>, each further one after twice the previous delay up to <see cref="Max"/>, and back to the
/// start once the daemon ran <see cref="ResetAfter"/> without exiting.
/// </summary>
/// <param name="initial">Delay of the first restart.</param>
/// <param name="max">Longest delay.</param>
/// <param name="resetAfter">A run this long counts as healthy: the next crash restarts after <paramref name="initial"/> again.</param>
public sealed class RestartBackOff(TimeSpan initial, TimeSpan max, TimeSpan resetAfter)
{
    /// <summary>Delay of the first restart.</summary>
    public TimeSpan Initial { get; } = initial;

    /// <summary>Longest delay.</summary>
    public TimeSpan Max { get; } = max;

    /// <summary>A run this long counts as healthy.</summary>
    public TimeSpan ResetAfter { get; } = resetAfter;

    /// <summary>A new back-off of 1 s doubling to 30 s, reset after 60 s of running.</summary>
    public static RestartBackOff CreateDefault() => new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));

    private int _quickExits;

    /// <summary>Consecutive exits that came sooner than <see cref="ResetAfter"/> after their start.</summary>
    public int QuickExits => _quickExits;

    /// <summary>True when the daemon keeps exiting soon after starting (two quick exits in a row or more).</summary>
    public bool CrashLooping => _quickExits >= 2;

    /// <summary>Records an exit after the daemon ran for <paramref name="ran"/>; returns the delay before the restart.</summary>
    public TimeSpan NextDelay(TimeSpan ran)
    {
        _quickExits = ran >= ResetAfter ? 1 : _quickExits + 1;
        var delay = Initial;
        for (var i = 1; i < _quickExits && delay < Max; i++)
        {
            delay *= 2;
        }

        return delay < Max ? delay : Max;
    }
}
