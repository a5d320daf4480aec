using Contiv.Testing;

namespace Contiv.Cni.Tests.EndToEnd;

/// <summary>
/// CHECK asks the agent (PodCheck) for its view, not only the pod's namespace: an attachment the agent
/// does not hold, or whose data-plane route was removed behind its back, fails CHECK although the
/// namespace still looks right.
/// </summary>
public sealed class AgentCheckTests(AgentNode node) : IClassFixture<AgentNode>
{
    [RootFact]
    public void Check_fails_for_a_container_the_agent_does_not_hold_although_the_namespace_is_intact()
    {
        var pod = node.Namespaces.Create("chk1");
        var result = node.Cni("ADD", pod, "e2echk0001", "chk1").Ok().Json;
        var check = AgentEndToEndTests.WithPrev(node.Conf(), result);
        try
        {
            node.Cni("CHECK", pod, "e2echk0001", "chk1", check).Ok();

            // Same namespace, same prevResult, but a container ID the agent never wired.
            node.Cni("CHECK", pod, "e2echk0999", "chk1", check).Fails(104, "no pod with container e2echk0999");
        }
        finally
        {
            node.Cni("DEL", pod, "e2echk0001", "chk1", check).Ok();
        }
    }

    [RootFact]
    public void Check_fails_when_the_pod_route_is_missing_in_the_data_plane()
    {
        var pod = node.Namespaces.Create("chk2");
        var result = node.Cni("ADD", pod, "e2echk0002", "chk2").Ok().Json;
        var check = AgentEndToEndTests.WithPrev(node.Conf(), result);
        try
        {
            node.Cni("CHECK", pod, "e2echk0002", "chk2", check).Ok();
            var ip = result.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
            var cli = Shell.Run(RepoPaths.Executable("contiv-vppctl"), ["-s", node.Dir["vpp-cli.sock"], "ip", "route", "del", $"{ip}/32", "table", "1"]);
            Assert.True(cli.ExitCode == 0 && !cli.StdOut.Contains("error", StringComparison.OrdinalIgnoreCase), cli.StdOut + cli.StdErr);

            node.Cni("CHECK", pod, "e2echk0002", "chk2", check).Fails(104, $"no route {ip}/32");
        }
        finally
        {
            node.Cni("DEL", pod, "e2echk0002", "chk2", check).Ok();
        }
    }
}
