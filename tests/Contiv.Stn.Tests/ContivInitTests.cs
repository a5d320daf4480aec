using System.Diagnostics;
using Contiv.Model.Stn;
using Contiv.Testing;

namespace Contiv.Stn.Tests;

/// <summary>contiv-init (the published executable) with a real contiv-stn, and contiv-vpp where the data plane matters.</summary>
public sealed class ContivInitTests
{
    [RootFact]
    public void When_the_agent_dies_init_stops_the_data_plane_gives_the_NIC_back_and_exits_1()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var before = node.Dump();
        using var init = Init(stn, node.Host,
            vpp: ["/bin/sleep", "1000"],
            agent: ["/bin/sh", "-c", "sleep 4; exit 3"]);

        HostNic.WaitFor(() => node.Eth0Config().Length == 0, TimeSpan.FromSeconds(20), "eth0 stolen by contiv-init (stealFirstNIC)");
        HostNic.WaitFor(() => Children(init.Process).Length == 2, TimeSpan.FromSeconds(20), "both children started");
        var vppPid = Pid(Children(init.Process).Single(p => p.Contains("sleep 1000", StringComparison.Ordinal)));
        Assert.True(init.Process.WaitForExit(TimeSpan.FromSeconds(30)), "contiv-init did not exit after the agent died:\n" + init.Output);

        Assert.Equal(1, init.Process.ExitCode);
        Assert.False(Directory.Exists($"/proc/{vppPid}"), "the data plane was left running");
        Assert.Equal(before, node.Dump());
        Assert.Contains("contiv-agent (pid", init.Output, StringComparison.Ordinal);
    }

    [RootFact]
    public void When_contiv_vpp_is_killed_init_stops_the_agent_and_gives_the_NIC_back()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var before = node.Dump();
        var dir = Directory.CreateTempSubdirectory("ct-init-vpp-").FullName;
        try
        {
            using var init = Init(stn, node.Host,
                vpp: [RepoPaths.Executable("contiv-vpp"), "--netns", node.Host, "--api-socket", Path.Combine(dir, "api.sock"), "--cli-socket", Path.Combine(dir, "cli.sock")],
                agent: ["/bin/sleep", "1000"]);
            HostNic.WaitFor(() => File.Exists(Path.Combine(dir, "api.sock")), TimeSpan.FromSeconds(30), "contiv-vpp started by contiv-init\n" + init.Output);
            Assert.Empty(node.Eth0Config());
            var children = Children(init.Process);
            var vppPid = Pid(children.Single(p => p.Contains("contiv-vpp", StringComparison.Ordinal)));
            var agentPid = Pid(children.Single(p => p.Contains("sleep 1000", StringComparison.Ordinal)));

            Shell.Run($"kill -9 {vppPid}");

            Assert.True(init.Process.WaitForExit(TimeSpan.FromSeconds(30)), "contiv-init did not exit after contiv-vpp died:\n" + init.Output);
            Assert.Equal(1, init.Process.ExitCode);
            Assert.False(Directory.Exists($"/proc/{agentPid}"), "the agent was left running");
            Assert.Equal(before, node.Dump());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [RootFact]
    public void SIGTERM_stops_both_gives_the_NIC_back_and_exits_0()
    {
        using var node = new HostNic();
        using var stn = new StnDaemon(node.Host);
        var before = node.Dump();
        using var init = Init(stn, node.Host, vpp: ["/bin/sleep", "1000"], agent: ["/bin/sleep", "1001"]);
        HostNic.WaitFor(() => Children(init.Process).Length == 2, TimeSpan.FromSeconds(20), "both children started");
        Assert.Empty(node.Eth0Config());
        var pids = Children(init.Process).Select(Pid).ToList();

        Shell.Run($"kill -TERM {init.Process.Id}");

        Assert.True(init.Process.WaitForExit(TimeSpan.FromSeconds(30)), "contiv-init did not stop on SIGTERM:\n" + init.Output);
        Assert.Equal(0, init.Process.ExitCode);
        Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"child {pid} left running"));
        Assert.Equal(before, node.Dump());
        Assert.Throws<Grpc.Core.RpcException>(() => stn.Client.StolenInterfaceInfo(new STNRequest()));
    }

    private static int Pid(string psLine) => int.Parse(psLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><c>pid command line</c> of each child process of <paramref name="p"/>.</summary>
    private static string[] Children(Process p) =>
        Shell.Run($"ps -o pid=,args= --ppid {p.Id}").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();

    private static InitProcess Init(StnDaemon stn, string netns, string[] vpp, string[] agent)
    {
        var conf = Path.Combine(Path.GetDirectoryName(stn.Socket)!, "contiv.conf");
        File.WriteAllText(conf, "stealFirstNIC: true\n");
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-init")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var args = new List<string> { "--config", conf, "--node-name", "node1", "--netns", netns, "--stn-socket", stn.Socket, "--vpp", vpp[0], "--agent", agent[0] };
        args.AddRange(vpp.Skip(1).Select(a => "--vpp-arg=" + a));
        args.AddRange(agent.Skip(1).Select(a => "--agent-arg=" + a));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return new InitProcess(ChildProcesses.Start(psi));
    }

    private sealed class InitProcess : IDisposable
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string?> _lines = new();

        public InitProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => _lines.Enqueue(e.Data);
            process.ErrorDataReceived += (_, e) => _lines.Enqueue(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output => string.Join('\n', _lines);

        public void Dispose()
        {
            Console.WriteLine("contiv-init output:\n" + Output);
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }
}
