using Contiv.Testing;
using Grpc.Core;

namespace Contiv.Agent.Tests.Integration;

/// <summary>A node with a tiny pod subnet (/29: pods .2 to .5).</summary>
[Collection("integration")]
public sealed class ExhaustionTests : SingleNodeTestBase
{
    protected override string AgentConfig => "ipamConfig:\n  podSubnetOneNodePrefixLen: 29\n";

    [RootFact]
    public async Task Exhausted_pod_subnet_is_a_clear_error_and_leaves_nothing_behind()
    {
        var node = Node!;
        for (var i = 0; i < 4; i++)
        {
            var reply = await node.AddPodAsync($"p{i}", Ns.Create($"p{i}"), $"cidfull{i}");
            Assert.Equal($"10.1.0.{10 + i}/32", reply.Interfaces[0].IpAddresses[0].Address);
        }

        var before = node.Dump();
        var extra = Ns.Create("extra");
        var e = await Assert.ThrowsAsync<RpcException>(() => node.AddPodAsync("extra", extra, "cidextra"));
        Assert.Contains("default/extra", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("10.1.0.8/29", e.Status.Detail, StringComparison.Ordinal);
        var after = node.Dump();
        Assert.Equal(before.Interfaces.Select(i => i.Name).Order(), after.Interfaces.Select(i => i.Name).Order());
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {extra} link").StdOut, StringComparison.Ordinal);
    }
}
