using Contiv.Cni.State;
using Contiv.Testing;

namespace Contiv.Cni.Tests;

/// <summary>
/// A node whose <c>dataDir</c> has never been created (fresh install, or a tmpfs after a reboot) and
/// whose agent is not running yet: runtimes DEL and GC stale sandboxes before any ADD, and every
/// such call must succeed because there is nothing to delete (spec: DEL of something already gone
/// succeeds). Paths that reach a running agent are in EndToEnd/FreshNodeAgentTests.
/// </summary>
public sealed class FreshNodeTests
{
    private const string MissingSocket = "/run/contiv-cni-test-no-such.sock";

    [Fact]
    public void Del_without_agent_dataDir_or_namespace_succeeds_and_creates_nothing()
    {
        using var dir = new TempDir();
        var dataDir = dir["never/created"];

        CniRunner.Contiv("DEL", NetConf.For("1.0.0", MissingSocket, dataDir: dataDir), netns: "/run/netns/ct-gone-long-ago").Ok();

        Assert.False(Directory.Exists(dir["never"]), "DEL must not create dataDir");
    }

    [Fact]
    public void Del_without_CNI_NETNS_agent_or_dataDir_succeeds()
        => CniRunner.Contiv("DEL", NetConf.For("0.3.1", MissingSocket, dataDir: "/run/contiv-cni-test-never-created"), netns: null).Ok();

    [Theory]
    [InlineData("0.3.0")]
    [InlineData("0.4.0")]
    [InlineData("1.1.0")]
    public void Del_of_every_version_succeeds_on_a_fresh_node(string version)
        => CniRunner.Contiv("DEL", NetConf.For(version, MissingSocket, dataDir: "/run/contiv-cni-test-never-created")).Ok();

    [Fact]
    public void Del_without_agent_or_dataDir_still_releases_the_ipam_reservation()
    {
        using var dir = new TempDir();
        var ipamDir = dir["ipam"];
        // A reservation host-local holds for the container (its own file format: the IP as file
        // name, container ID and interface inside): DEL must run IPAM DEL although the agent is absent.
        Directory.CreateDirectory(Path.Combine(ipamDir, "k8s-pod-network"));
        var reservation = Path.Combine(ipamDir, "k8s-pod-network", "10.99.8.7");
        File.WriteAllText(reservation, "c0ffee01\r\neth0");
        var conf = NetConf.For("1.0.0", MissingSocket, dataDir: dir["never-created"], extra:
            $"\"ipam\":{{\"type\":\"host-local\",\"dataDir\":\"{ipamDir}\",\"ranges\":[[{{\"subnet\":\"10.99.8.0/24\"}}]]}}");

        CniRunner.Contiv("DEL", conf).Ok();

        Assert.False(File.Exists(reservation), "host-local's reservation of the container was not released");
        Assert.False(Directory.Exists(dir["never-created"]));
    }

    [Fact]
    public void Del_without_agent_fails_when_this_node_recorded_the_attachment()
    {
        // The counterpart: a recorded attachment may still be held by the agent, so DEL must be retried.
        using var dir = new TempDir();
        var conf = NetConf.For("1.0.0", MissingSocket, dataDir: dir["state"]);
        new AttachmentStore(dir["state"]).Save(new AttachmentRecord("c0ffee01", "eth0", "/run/netns/none", string.Empty, conf));

        CniRunner.Contiv("DEL", conf).Fails(11, MissingSocket);
    }

    [Fact]
    public void Repeated_del_on_a_fresh_node_succeeds()
    {
        var conf = NetConf.For("1.0.0", MissingSocket, dataDir: "/run/contiv-cni-test-never-created");

        CniRunner.Contiv("DEL", conf).Ok();
        CniRunner.Contiv("DEL", conf).Ok();
    }

    [Fact]
    public void Gc_without_agent_or_dataDir_succeeds_and_creates_nothing()
    {
        using var dir = new TempDir();
        var conf = NetConf.For("1.1.0", MissingSocket, dataDir: dir["never-created"],
            extra: "\"cni.dev/valid-attachments\":[{\"containerID\":\"c0ffee02\",\"ifname\":\"eth0\"}]");

        CniRunner.Contiv("GC", conf).Ok();

        Assert.False(Directory.Exists(dir["never-created"]));
    }

    [Fact]
    public void Gc_with_ipam_on_a_fresh_node_succeeds()
    {
        using var dir = new TempDir();
        var conf = NetConf.For("1.1.0", MissingSocket, dataDir: dir["never-created"], extra:
            $"\"ipam\":{{\"type\":\"host-local\",\"dataDir\":\"{dir["ipam"]}\",\"ranges\":[[{{\"subnet\":\"10.99.9.0/24\"}}]]}}");

        CniRunner.Contiv("GC", conf).Ok();
    }

    [RootFact]
    public void Check_fails_for_a_missing_namespace_instead_of_pretending_success()
    {
        // CHECK is not DEL: a missing container is a failure the runtime must see (code 3), also on a fresh node.
        CniRunner.Contiv("CHECK", NetConf.For("1.0.0", MissingSocket, dataDir: "/run/contiv-cni-test-never-created",
            extra: "\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/ct-gone\"}]}"),
            netns: "/run/netns/ct-gone").Fails(3, "/run/netns/ct-gone");
    }
}
