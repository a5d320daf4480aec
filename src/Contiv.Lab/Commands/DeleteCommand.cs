using Contiv.Lab.Lab;
using Contiv.Lab.Manifests;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab delete</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class DeleteCommand
{
    /// <summary><c>delete -f</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, IReadOnlyList<string> files, TimeSpan timeout, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        using var client = new ManifestClient(state.ApiServerUrl);
        foreach (var outcome in await client.DeleteAsync(ManifestFiles.Load(files), timeout, ct).ConfigureAwait(false))
        {
            LabConsole.Say(outcome.ToString());
        }

        return 0;
    }
}
