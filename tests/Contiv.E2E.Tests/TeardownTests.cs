using System.Diagnostics;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary><c>down</c> leaves the machine as it was before <c>up</c>, also after a crash.</summary>
public sealed partial class TeardownTests
{
    [RootFact]
    public void Down_leaves_the_namespace_list_and_the_process_table_as_before_up()
    {
        using var lab = new Lab("e2ed");
        lab.Run("down");
        var netnsBefore = Namespaces();
        var before = Processes();

        lab.Ok("up", "--network", "bridge", "--nodes", "2");
        lab.Apply(Pods.Join(Pods.Web("tw1", "node1"), Pods.Sleeper("ts2", "node2"), Pods.Sleeper("th2", "node2", hostNetwork: true)));
        var during = Processes();
        Assert.True(LabProcesses(during, before, lab).Count >= 9, "the lab should run etcd, API server, KSR, scheduler, 2 kubelets and 3 workloads");
        Assert.Contains(lab.NetnsPrefix + "node1", Namespaces());

        var down = lab.Ok("down");
        Assert.Contains("removed", down, StringComparison.Ordinal);

        AssertNamespacesAsBefore(netnsBefore);
        var left = LabProcesses(Processes(), before, lab);
        Assert.True(left.Count == 0, "left behind: " + string.Join("; ", left));
        Assert.False(Directory.Exists(lab.StateDir));
    }

    [RootFact]
    public void Down_cleans_up_after_a_crash_that_lost_the_state_file()
    {
        using var lab = new Lab("e2ed");
        lab.Run("down");
        var netnsBefore = Namespaces();
        var before = Processes();
        lab.Ok("up", "--network", "bridge", "--nodes", "1");
        lab.Apply(Pods.Sleeper("crash1", "node1"));

        // Crash: every lab daemon dies at once (workloads survive as orphans) and the state file is lost.
        foreach (var pid in LabProcesses(Processes(), before, lab).Where(p => p.Command.Contains("contiv-", StringComparison.Ordinal) || p.Command.Contains("etcd", StringComparison.Ordinal)).Select(p => p.Pid))
        {
            Shell.Run($"kill -9 {pid}");
        }

        File.Delete(lab.StateDir + "/state.json");
        Assert.Contains(LabProcesses(Processes(), before, lab), p => p.Command.StartsWith("sleep", StringComparison.Ordinal));

        lab.Ok("down");

        AssertNamespacesAsBefore(netnsBefore);
        var left = LabProcesses(Processes(), before, lab);
        Assert.True(left.Count == 0, "left behind: " + string.Join("; ", left));
    }

    /// <summary>
    /// The namespace list is as before <c>up</c>: every namespace that existed is still there, and no
    /// namespace of any lab (<c>cl*</c>) was added. (Other test projects may create and remove their
    /// own namespaces meanwhile on a shared machine; in <c>scripts/test.sh</c> nothing else runs and
    /// this is plain equality.)
    /// </summary>
    private static void AssertNamespacesAsBefore(List<string> before)
    {
        var now = Namespaces();
        Assert.Empty(before.Except(now));
        Assert.DoesNotContain(now.Except(before), n => n.StartsWith("cl", StringComparison.Ordinal));
    }

    /// <summary>
    /// Namespaces, without those of other test projects' fixtures that may come and go meanwhile:
    /// <c>ct????-*</c> (NetnsScope) and the like (<c>c</c>, a letter other than <c>l</c>, 4 hex digits, <c>-</c>).
    /// </summary>
    private static List<string> Namespaces() => Shell.Run("ip netns list").StdOut
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => l.Split(' ')[0])
        .Where(n => !OtherFixture().IsMatch(n))
        .Order(StringComparer.Ordinal)
        .ToList();

    [System.Text.RegularExpressions.GeneratedRegex("^c[a-km-z][0-9a-f]{4}-")]
    private static partial System.Text.RegularExpressions.Regex OtherFixture();

    private sealed record Proc(int Pid, long Start, string Command, bool Marked, string Netns)
    {
        public override string ToString() => $"{Pid} {Command}";
    }

    private static Dictionary<(int, long), Proc> Processes()
    {
        var map = new Dictionary<(int, long), Proc>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(dir + "/stat");
                var start = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], System.Globalization.CultureInfo.InvariantCulture);
                var cmd = File.ReadAllText(dir + "/cmdline").Replace('\0', ' ').Trim();
                var env = File.ReadAllText(dir + "/environ");
                var netns = new FileInfo(dir + "/ns/net").LinkTarget ?? string.Empty;
                map[(pid, start)] = new Proc(pid, start, cmd, env.Contains("CONTIV_LAB_INSTANCE=", StringComparison.Ordinal), netns);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return map;
    }

    /// <summary>
    /// Processes that appeared since <paramref name="before"/> and belong to the lab: carrying its
    /// marker, naming its state directory, or running in one of its namespaces. (Other engineers'
    /// processes come and go on a shared machine; these are the ones the lab must not leave.)
    /// </summary>
    private static List<Proc> LabProcesses(Dictionary<(int, long), Proc> now, Dictionary<(int, long), Proc> before, Lab lab)
    {
        var labNetns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ns in Namespaces().Where(n => n.StartsWith(lab.NetnsPrefix, StringComparison.Ordinal)))
        {
            var pids = Shell.Run($"ip netns pids {ns}").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var pid in pids)
            {
                labNetns.Add(pid.Trim());
            }
        }

        var self = Environment.ProcessId;
        return now.Where(kv => !before.ContainsKey(kv.Key) && kv.Value.Pid != self)
            .Select(kv => kv.Value)
            .Where(p => p.Marked || p.Command.Contains(lab.StateDir, StringComparison.Ordinal) || labNetns.Contains(p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Where(p => !p.Command.StartsWith("ip netns", StringComparison.Ordinal))
            .ToList();
    }
}
