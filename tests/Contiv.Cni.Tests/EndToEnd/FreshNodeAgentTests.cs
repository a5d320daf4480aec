using Contiv.Testing;

namespace Contiv.Cni.Tests.EndToEnd;

/// <summary>
/// DEL, GC and CHECK with a running agent on a node whose <c>dataDir</c> was never created (or was
/// wiped by a reboot): nothing there is success, and what the agent does hold is still released.
/// The paths without an agent are in FreshNodeTests.
/// </summary>
public sealed class FreshNodeAgentTests(AgentNode node) : IClassFixture<AgentNode>
{
    private string NeverCreated => node.Dir["fresh/never-created"];

    [RootFact]
    public void Del_of_a_container_never_added_succeeds_without_creating_dataDir()
    {
        var pod = node.Namespaces.Create("never");

        node.Cni("DEL", pod, "e2efresh01", "never", node.Conf(dataDir: NeverCreated)).Ok();
        node.Cni("DEL", pod, "e2efresh01", "never", node.Conf(dataDir: NeverCreated)).Ok();

        Assert.False(Directory.Exists(node.Dir["fresh"]), "DEL must not create dataDir");
    }

    [RootFact]
    public void Del_whose_namespace_is_gone_succeeds()
        => CniRunner.Contiv("DEL", node.Conf(dataDir: NeverCreated), containerId: "e2efresh02", netns: "/run/netns/ct-gone-long-ago",
            args: AgentNode.Args("gone", "e2efresh02")).Ok();

    [RootFact]
    public void Del_without_CNI_NETNS_succeeds()
        => CniRunner.Contiv("DEL", node.Conf(dataDir: NeverCreated), containerId: "e2efresh03", netns: null,
            args: AgentNode.Args("nonetns", "e2efresh03")).Ok();

    [RootFact]
    public void Gc_with_dataDir_never_created_succeeds()
        => CniRunner.Contiv("GC", node.Conf("1.1.0", "\"cni.dev/valid-attachments\":[]", dataDir: NeverCreated), containerId: "x", netns: null).Ok();

    [RootFact]
    public void Check_and_del_after_dataDir_was_wiped_still_work_and_del_releases_the_pod()
    {
        var pod = node.Namespaces.Create("wiped");
        var dataDir = node.Dir["wiped-state"];
        var conf = node.Conf(dataDir: dataDir);
        var result = node.Cni("ADD", pod, "e2efresh04", "wiped", conf).Ok().Json;
        Directory.Delete(dataDir, recursive: true); // a reboot with dataDir on tmpfs

        node.Cni("CHECK", pod, "e2efresh04", "wiped", AgentEndToEndTests.WithPrev(conf, result)).Ok();
        node.Cni("DEL", pod, "e2efresh04", "wiped", conf).Ok();

        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {pod} link").StdOut, StringComparison.Ordinal);
    }
}
