using Contiv.Lab.ControlPlane;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Commands;

/// <summary><c>contiv-lab logs</c> (exit codes: 0 ok, 1 failure, 2 bad input).</summary>
internal static class LogsCommand
{
    /// <summary><c>logs COMPONENT</c>.</summary>
    public static async Task<int> RunAsync(LabInstance lab, string component, bool follow, int lines, CancellationToken ct)
    {
        var state = LabState.LoadRequired(lab);
        var file = ResolveLog(lab, state, component);
        if (file is null)
        {
            var names = state.Processes.Select(p => p.Name).Concat(state.Nodes.Select(n => "cni-" + n.Name)).Order(StringComparer.Ordinal);
            await Console.Error.WriteLineAsync($"no log for \"{component}\"; components: {string.Join(", ", names)}, pod/NAMESPACE/NAME[/CONTAINER]").ConfigureAwait(false);
            return 2;
        }

        LabConsole.Say(LabControlPlane.Tail(file, lines));
        if (!follow)
        {
            return 0;
        }

        await using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        fs.Seek(0, SeekOrigin.End);
        using var reader = new StreamReader(fs);
        while (!ct.IsCancellationRequested)
        {
            var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
                continue;
            }

            LabConsole.Say(line);
        }

        return 0;
    }

    private static string? ResolveLog(LabInstance lab, LabState state, string component)
    {
        if (state.Processes.Find(p => p.Name == component) is { } p)
        {
            return p.LogFile;
        }

        if (component.StartsWith("cni-", StringComparison.Ordinal) && state.FindNode(component[4..]) is { } node)
        {
            return Path.Combine(node.Dir, "kubelet", "cni.log");
        }

        var path = Path.Combine(lab.LogDir, component + ".log");
        if (File.Exists(path))
        {
            return path;
        }

        if (component.StartsWith("pod/", StringComparison.Ordinal))
        {
            var parts = component.Split('/');
            if (parts.Length is 3 or 4)
            {
                foreach (var n in state.Nodes)
                {
                    var podsDir = Path.Combine(n.Dir, "kubelet", "pods");
                    if (!Directory.Exists(podsDir))
                    {
                        continue;
                    }

                    var dir = Directory.GetDirectories(podsDir, $"{parts[1]}_{parts[2]}_*").OrderBy(Directory.GetLastWriteTimeUtc).LastOrDefault();
                    if (dir is not null)
                    {
                        var logs = Directory.GetFiles(dir, "*.log");
                        return parts.Length == 4 ? logs.FirstOrDefault(l => Path.GetFileNameWithoutExtension(l) == parts[3]) : logs.FirstOrDefault();
                    }
                }
            }
        }

        return null;
    }
}
