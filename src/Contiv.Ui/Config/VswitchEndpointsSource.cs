namespace Contiv.Ui.Config;

/// <summary>
/// The current <c>vswitchEndpoints</c>: re-read from the config file when it changed (the lab rewrites it when a
/// node joins or leaves), so the UI follows the cluster without a restart. A file that no longer parses keeps the
/// last good map and is reported once per change.
/// </summary>
internal sealed class VswitchEndpointsSource(UiConfig initial, string? file, ILogger? log = null)
{
    private readonly Lock _lock = new();
    private IReadOnlyDictionary<string, string> _current = initial.VswitchEndpoints;
    private DateTime _stamp = file is not null && File.Exists(file) ? File.GetLastWriteTimeUtc(file) : default;

    /// <summary>Node address → agent base URL.</summary>
    public IReadOnlyDictionary<string, string> Current
    {
        get
        {
            if (file is null)
            {
                return _current;
            }

            lock (_lock)
            {
                var stamp = File.Exists(file) ? File.GetLastWriteTimeUtc(file) : default;
                if (stamp != _stamp)
                {
                    _stamp = stamp;
                    try
                    {
                        _current = UiConfig.Load(file).VswitchEndpoints;
                    }
                    catch (ArgumentException e)
                    {
                        log?.LogError("{File} changed but cannot be used, keeping the previous vswitchEndpoints: {Error}", file, e.Message);
                    }
                }

                return _current;
            }
        }
    }
}
