using System.Runtime.InteropServices;
using Contiv.Lab.Lab;

namespace Contiv.Lab.Kubelet.Cri;

/// <summary>
/// What a lab's containerd can leave behind when it or a kubelet died before removing its pods (used by
/// <c>down</c>): the network namespaces containerd created (<c>/run/netns/cni-…</c>, named in the
/// kubelets' sandbox records) and the mounts under the lab's state directory (container root file
/// systems, sandbox <c>/dev/shm</c>). The shims carry the lab's marker variable (they inherit
/// containerd's environment), so the process sweep finds them.
/// </summary>
internal static partial class RuntimeLeftovers
{
    private const int MntDetach = 2;

    /// <summary>Namespaces of CRI sandboxes recorded by any node's kubelet of the lab (state file not needed).</summary>
    public static IReadOnlyList<string> Namespaces(LabInstance lab)
    {
        var nodes = Path.Combine(lab.StateDir, "nodes");
        if (!Directory.Exists(nodes))
        {
            return [];
        }

        return Directory.GetDirectories(nodes)
            .SelectMany(n => SandboxRecord.LoadAll(Path.Combine(n, "kubelet", "sandboxes"), _ => { }))
            .Where(r => r.Runtime == CriPodWorker.RuntimeName && !r.HostNetwork && r.Netns.Length > 0 && File.Exists(r.NetnsPath))
            .Select(r => r.Netns)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Detaches every mount at or below <paramref name="dir"/>, deepest first; returns how many.</summary>
    public static int UnmountUnder(string dir)
    {
        var prefix = dir.TrimEnd('/') + "/";
        var mounts = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // Field 5 is the mount point, with spaces and the like octal-escaped.
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                var point = Unescape(fields[4]);
                if (point.StartsWith(prefix, StringComparison.Ordinal))
                {
                    mounts.Add(point);
                }
            }
        }

        var count = 0;
        foreach (var point in mounts.Distinct(StringComparer.Ordinal).OrderByDescending(p => p.Length))
        {
            if (Umount2(point, MntDetach) == 0)
            {
                count++;
            }
        }

        return count;
    }

    private static string Unescape(string s)
        => s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal).Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
