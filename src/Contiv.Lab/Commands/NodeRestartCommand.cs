using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab node restart</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class NodeRestartCommand
{
    /// <summary><c>node restart</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, string node, IReadOnlyList<string> components, CancellationToken ct)
    {
        await LabLifecycle.RestartNodeAsync(lab, node, components, LabConsole.Say, ct).ConfigureAwait(false);
        LabConsole.Say($"{node}: {string.Join(", ", components)} restarted");
        return 0;
    }
}
