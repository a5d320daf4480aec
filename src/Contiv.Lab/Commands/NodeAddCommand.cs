using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab node add</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class NodeAddCommand
{
    /// <summary><c>node add</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, int count, CancellationToken ct)
    {
        var nodes = await LabLifecycle.AddNodesAsync(lab, count, LabConsole.Say, ct).ConfigureAwait(false);
        LabConsole.Say($"added {string.Join(", ", nodes.Select(n => n.Name))}");
        return 0;
    }
}
