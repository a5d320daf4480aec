using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab node delete</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class NodeDeleteCommand
{
    /// <summary><c>node delete</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, string node, CancellationToken ct)
    {
        await LabLifecycle.RemoveNodeAsync(lab, node, LabConsole.Say, ct).ConfigureAwait(false);
        return 0;
    }
}
