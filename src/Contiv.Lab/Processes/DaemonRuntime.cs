namespace Contiv.Lab.Processes;

/// <summary>
/// Runtime settings of the processes the lab keeps running (<see cref="DetachedProcess"/>: the supervisors and what they
/// supervise — kubelets, scheduler, controller-manager, DNS, the daemons): <c>DOTNET_TieredCompilation=0</c>, so a .NET
/// daemon compiles each method once (from its ReadyToRun code where it has some) instead of re-compiling the methods of
/// its rare periodic paths in the background long after start-up — an idle 12-node lab's kubelets spent 0.77 % of a
/// core on that, 0.13 % without (docs/performance.md, "Idle lab, round three"). The CLI itself keeps tiered
/// compilation (faster start-up), and pods do not inherit the setting (<see cref="Scrub"/>).
/// </summary>
public static class DaemonRuntime
{
    /// <summary>The runtime's variable.</summary>
    public const string TieredCompilation = "DOTNET_TieredCompilation";

    /// <summary>Adds the daemons' settings to a process environment.</summary>
    public static void Apply(IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        environment[TieredCompilation] = "0";
    }

    /// <summary>Removes the daemons' settings from the environment of a process started for a pod.</summary>
    public static void Scrub(IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        environment.Remove(TieredCompilation);
    }

    /// <summary>Whether an environment entry ("NAME=value") is one of the daemons' settings.</summary>
    public static bool IsSetting(string entry) => entry.StartsWith(TieredCompilation + "=", StringComparison.Ordinal);
}
