using System.Diagnostics;
using Contiv.Testing;

namespace Contiv.Store.Tests;

/// <summary>The test fixtures' child processes are the programs themselves and die with their parent.</summary>
public sealed class ChildProcessesTests
{
    [Fact]
    public void The_child_is_the_program_itself_so_signals_and_exit_codes_are_its_own()
    {
        var psi = new ProcessStartInfo("sleep") { UseShellExecute = false };
        psi.ArgumentList.Add("300");
        using var p = ChildProcesses.Start(psi);
        try
        {
            Assert.Equal("sleep", File.ReadAllText($"/proc/{p.Id}/comm").Trim());
            Assert.Equal(0, Shell.Run($"kill -TERM {p.Id}").ExitCode);
            Assert.True(p.WaitForExit(5000));
            Assert.Equal(143, p.ExitCode); // 128 + SIGTERM
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
        }
    }

    [Fact]
    public void A_child_started_the_same_way_dies_when_its_parent_is_killed()
    {
        // The parent here is a shell standing in for a killed test host: it starts the child through the
        // same setpriv wrapper and is then SIGKILLed; the child must not outlive it.
        var r = Shell.Run("sh", ["-c", "setpriv --pdeathsig KILL -- sleep 300 & echo $!; sleep 0.3; kill -9 $$"]);
        var pid = int.Parse(r.StdOut.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z" && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.False(Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/comm").Trim() == "sleep" && File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z",
            $"sleep {pid} outlived its killed parent");
    }
}
