using Contiv.Lab.Network;
using Contiv.Lab.Processes;
using Contiv.Linux;

namespace Contiv.Lab.Lab;

/// <summary>What <c>down</c> removed.</summary>
/// <param name="Processes">Processes stopped or killed.</param>
/// <param name="Namespaces">Network namespaces deleted.</param>
/// <param name="StateDirRemoved">True when the state directory existed and was deleted.</param>
public sealed record TeardownReport(int Processes, IReadOnlyList<string> Namespaces, bool StateDirRemoved);

/// <summary>
/// Removes a lab completely, also one left behind by a crash: first the processes recorded in the
/// state file (kubelets first, so workloads stop before the network goes), then a sweep of every
/// process carrying the lab's marker variable or running inside one of its namespaces, then every
/// namespace with the lab's prefix (which takes the bridges, veths and pod TAPs with it), and
/// finally the state directory. Idempotent: a second run finds nothing and succeeds.
/// </summary>
public static class LabTeardown
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>Tears the lab down; <paramref name="log"/> receives one line per step.</summary>
    public static async Task<TeardownReport> DownAsync(LabInstance lab, Action<string> log)
    {
        LabState? state = null;
        try
        {
            state = LabState.Load(lab);
        }
        catch (InvalidDataException e)
        {
            log($"ignoring unreadable state: {e.Message}");
        }

        var stopped = 0;
        if (state is not null)
        {
            // Kubelets first: they stop their pods' workloads on SIGTERM.
            var kubelets = state.Processes.Where(p => p.Name.StartsWith("kubelet", StringComparison.Ordinal)).ToList();
            var rest = state.Processes.Except(kubelets).ToList();
            foreach (var group in new[] { kubelets, rest })
            {
                var alive = group.Where(p => ProcessTable.IsAlive(p.Pid, p.StartTicks)).ToList();
                await Task.WhenAll(alive.Select(p => DetachedProcess.StopAsync(p, Grace))).ConfigureAwait(false);
                stopped += alive.Count;
            }
        }

        stopped += await SweepProcessesAsync(lab).ConfigureAwait(false);
        if (state is not null)
        {
            // Stopped daemons are orphans whose zombies init reaps a moment later.
            await ProcessTable.WaitGoneAsync(state.Processes.Select(p => (p.Pid, p.StartTicks)), TimeSpan.FromSeconds(15), zombiesCount: true).ConfigureAwait(false);
        }

        // containerd (--runtime containerd): its pods' namespaces and the mounts it left under the state directory.
        var runtimeNamespaces = Kubelet.Cri.RuntimeLeftovers.Namespaces(lab);
        foreach (var ns in runtimeNamespaces)
        {
            NetworkNamespace.Delete(ns);
        }

        var unmounted = Directory.Exists(lab.StateDir) ? Kubelet.Cri.RuntimeLeftovers.UnmountUnder(lab.StateDir) : 0;
        if (unmounted > 0)
        {
            log($"unmounted {unmounted} container runtime mount(s) under {lab.StateDir}");
        }

        var namespaces = LabTopology.ExistingNamespaces(lab)
            .OrderBy(n => n == lab.LabNetns ? 2 : n.StartsWith(lab.PodNetnsPrefix, StringComparison.Ordinal) ? 0 : 1)
            .ToList();
        foreach (var ns in namespaces)
        {
            NetworkNamespace.Delete(ns);
        }

        var removedDir = Directory.Exists(lab.StateDir);
        if (removedDir)
        {
            Directory.Delete(lab.StateDir, recursive: true);
        }

        if (Directory.Exists(LabInstance.RunRoot) && !Directory.EnumerateFileSystemEntries(LabInstance.RunRoot).Any())
        {
            Directory.Delete(LabInstance.RunRoot);
        }

        if (stopped > 0)
        {
            log($"stopped {stopped} process(es)");
        }

        namespaces.AddRange(runtimeNamespaces);
        if (namespaces.Count > 0)
        {
            log($"deleted {namespaces.Count} network namespace(s): {string.Join(' ', namespaces)}");
        }

        return new TeardownReport(stopped, namespaces, removedDir);
    }

    /// <summary>
    /// Kills every process of the lab that is not recorded (workloads of a crashed kubelet, CNI
    /// plugins, a crashed <c>up</c>'s children) and waits until the kernel has forgotten them.
    /// </summary>
    public static async Task<int> SweepProcessesAsync(LabInstance lab)
    {
        var spare = ProcessTable.SelfAndAncestors();
        var inodes = new HashSet<ulong>();
        foreach (var name in LabTopology.ExistingNamespaces(lab).Concat(Kubelet.Cri.RuntimeLeftovers.Namespaces(lab)))
        {
            try
            {
                using var ns = NetworkNamespace.Open(name);
                inodes.Add(ns.Id);
            }
            catch (NetlinkException)
            {
                // Deleted meanwhile.
            }
        }

        var victims = new List<(int, long)>();
        foreach (var pid in ProcessTable.AllPids())
        {
            if (spare.Contains(pid))
            {
                continue;
            }

            var marked = ProcessTable.HasEnvironment(pid, LabInstance.MarkerVariable, lab.Name);
            var inside = inodes.Count > 0 && ProcessTable.NetnsInode(pid) is { } inode && inodes.Contains(inode);
            if ((marked || inside) && ProcessTable.StartTicks(pid) is { } ticks && ProcessTable.State(pid) != 'Z')
            {
                ProcessTable.Signal(pid, ProcessTable.SigKill);
                victims.Add((pid, ticks));
            }
        }

        // Zombies are reaped by their parent (or by init for orphans); wait for that too so the
        // process table looks as before.
        await ProcessTable.WaitGoneAsync(victims, TimeSpan.FromSeconds(15), zombiesCount: true).ConfigureAwait(false);
        return victims.Count;
    }
}
