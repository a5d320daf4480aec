using System.Diagnostics;
using System.Text.Json;
using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary><c>contiv-lab supervise</c> on its own: restarts with back-off, a crash loop shown as such, stop on SIGTERM.</summary>
public sealed class SupervisorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cle2e-supervise-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RootFact]
    public void A_daemon_that_keeps_failing_is_restarted_with_back_off_and_shown_as_crash_looping()
    {
        var status = Path.Combine(_dir, "failing.json");
        using var supervisor = Start("failing", status, "/bin/sh", "-c", "echo started; exit 3");
        try
        {
            // Exits at 0 s, restarts after 1 s and 2 s (then 4 s): three exits within ~3.5 s.
            var s = WaitFor(status, TimeSpan.FromSeconds(10), j => j.GetProperty("restarts").GetInt32() >= 3);
            Assert.Equal("CrashLoopBackOff", s.GetProperty("state").GetString());
            Assert.StartsWith("exit code 3", s.GetProperty("lastExit").GetString(), StringComparison.Ordinal);
            var elapsed = DateTimeOffset.Parse(s.GetProperty("lastExitAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var next = DateTimeOffset.Parse(s.GetProperty("nextStartAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange((next - elapsed).TotalSeconds, 3.5, 4.5); // the fourth start waits 4 s
        }
        finally
        {
            Stop(supervisor);
        }

        Assert.Equal("Stopped", Read(status)!.Value.GetProperty("state").GetString());
    }

    [RootFact]
    public void A_killed_daemon_is_restarted_and_sigterm_stops_daemon_and_supervisor()
    {
        var status = Path.Combine(_dir, "sleeper.json");
        using var supervisor = Start("sleeper", status, "/bin/sleep", "600");
        try
        {
            var first = WaitFor(status, TimeSpan.FromSeconds(10), j => j.GetProperty("state").GetString() == "Running").GetProperty("pid").GetInt32();
            Shell.Run("kill", ["-9", first.ToString(System.Globalization.CultureInfo.InvariantCulture)]).EnsureSuccess("kill -9");
            var s = WaitFor(status, TimeSpan.FromSeconds(10), j => j.GetProperty("state").GetString() == "Running" && j.GetProperty("pid").GetInt32() != first);
            Assert.Equal(1, s.GetProperty("restarts").GetInt32());
            Assert.StartsWith("signal 9 (KILL)", s.GetProperty("lastExit").GetString(), StringComparison.Ordinal);
            var second = s.GetProperty("pid").GetInt32();

            Shell.Run("kill", ["-TERM", supervisor.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).EnsureSuccess("kill -TERM");
            Assert.True(supervisor.WaitForExit(10_000), "the supervisor did not exit on SIGTERM");
            Assert.False(Directory.Exists($"/proc/{second}"), "the daemon outlived its supervisor");
        }
        finally
        {
            Stop(supervisor);
        }
    }

    /// <summary>A daemon that dies leaving a child of its own (contiv-init's contiv-vpp after a kill -9): the child goes too.</summary>
    [RootFact]
    public void What_a_dead_daemon_left_running_is_killed_before_the_restart()
    {
        var status = Path.Combine(_dir, "parent.json");
        var pids = Path.Combine(_dir, "children");
        using var supervisor = StartKillingOrphans("parent", status, "/bin/sh", "-c", $"sleep 600 & echo $! >> {pids}; sleep 1; exit 1");
        try
        {
            WaitFor(status, TimeSpan.FromSeconds(10), j => j.GetProperty("restarts").GetInt32() >= 1);
            var orphan = int.Parse(File.ReadAllLines(pids)[0], System.Globalization.CultureInfo.InvariantCulture);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (Directory.Exists($"/proc/{orphan}") && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            Assert.False(Directory.Exists($"/proc/{orphan}"), $"the orphaned child {orphan} of the dead daemon still runs (or is an unreaped zombie)");
        }
        finally
        {
            Stop(supervisor);
        }

        // The last run's child went with the supervisor's stop too.
        foreach (var line in File.ReadAllLines(pids))
        {
            Assert.False(Directory.Exists($"/proc/{line.Trim()}"), $"child {line} outlived the supervisor");
        }
    }

    private static Process Start(string name, string status, params string[] command) => Launch(["supervise", "--name", name, "--status", status, "--", .. command]);

    private static Process StartKillingOrphans(string name, string status, params string[] command) => Launch(["supervise", "--name", name, "--status", status, "--kill-orphans", "--", .. command]);

    private static Process Launch(string[] argv)
    {
        var psi = new ProcessStartInfo(RepoPaths.Executable("contiv-lab")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static JsonElement WaitFor(string status, TimeSpan timeout, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Read(status) is { } s && condition(s))
            {
                return s;
            }

            Assert.True(DateTime.UtcNow < deadline, $"status not reached within {timeout.TotalSeconds:0}s; last: {(File.Exists(status) ? File.ReadAllText(status) : "(none)")}");
            Thread.Sleep(100);
        }
    }

    private static JsonElement? Read(string status)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(status));
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static void Stop(Process p)
    {
        if (!p.HasExited)
        {
            Shell.Run("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!p.WaitForExit(10_000))
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }
}
