using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab down</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class DownCommand
{
    /// <summary><c>down</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab)
    {
        var report = await LabTeardown.DownAsync(lab, LabConsole.Say).ConfigureAwait(false);
        LabConsole.Say(report.Processes == 0 && report.Namespaces.Count == 0 && !report.StateDirRemoved
            ? $"lab \"{lab.Name}\" was not up; nothing to remove"
            : $"lab \"{lab.Name}\" removed");
        return 0;
    }
}
