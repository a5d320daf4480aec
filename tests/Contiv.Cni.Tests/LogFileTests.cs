namespace Contiv.Cni.Tests;

/// <summary>The <c>logFile</c> option.</summary>
public sealed class LogFileTests
{
    [Fact]
    public void Each_invocation_appends_one_line_naming_command_container_and_outcome()
    {
        using var dir = new TempDir();
        var log = dir["logs/cni.log"];
        var conf = NetConf.For("1.0.0", "/run/contiv-cni-test-no-such.sock", logFile: log, dataDir: dir["state"]);
        // A recorded attachment, so that DEL without an agent is an error to log (not "nothing to delete").
        new Contiv.Cni.State.AttachmentStore(dir["state"]).Save(new("logged02", "eth0", "/run/netns/none", string.Empty, conf));

        CniRunner.Contiv("ADD", conf, containerId: "logged01", netns: "/run/netns/contiv-cni-test-none").Fails(3);
        CniRunner.Contiv("DEL", conf, containerId: "logged02").Fails(11);

        var lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Count(l => l.Contains(" error ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("ADD logged01 eth0", StringComparison.Ordinal) && l.Contains("code 3", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("DEL logged02 eth0", StringComparison.Ordinal) && l.Contains("code 11", StringComparison.Ordinal));
    }

    [Fact]
    public void Unwritable_log_file_does_not_change_the_outcome()
    {
        var conf = NetConf.For("1.0.0", "/run/contiv-cni-test-no-such.sock", logFile: "/proc/contiv-cni-test/cni.log");

        var r = CniRunner.Contiv("ADD", conf, netns: "/run/netns/contiv-cni-test-none");

        r.Fails(3, "CNI_NETNS");
        Assert.Contains("cannot write log file /proc/contiv-cni-test/cni.log", r.StdErr, StringComparison.Ordinal);
    }
}
