using Contiv.Testing;
using Grpc.Core;

namespace Contiv.Agent.Tests.Integration;

/// <summary>A node with a tiny pod subnet (/29: pods .2 to .5).</summary>
[Collection("integration")]
public sealed class ExhaustionTests : IAsyncLifetime
{
    private readonly NetnsScope _ns = new();
    private EtcdServer? _etcd;
    private VswitchNode? _node;

    public async Task InitializeAsync()
    {
        // xUnit does not call DisposeAsync when InitializeAsync fails: clean up here then.
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        _etcd = await EtcdServer.StartAsync();
        _node = new VswitchNode("node1", _ns.Create("node1"), _etcd.ClientUrl, "ipamConfig:\n  podSubnetOneNodePrefixLen: 29\n");
        _node.StartVpp();
        _node.StartAgent();
        await _node.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        _ns.Dispose();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }

    [RootFact]
    public async Task Exhausted_pod_subnet_is_a_clear_error_and_leaves_nothing_behind()
    {
        var node = _node!;
        for (var i = 0; i < 4; i++)
        {
            var reply = await node.AddPodAsync($"p{i}", _ns.Create($"p{i}"), $"cidfull{i}");
            Assert.Equal($"10.1.0.{10 + i}/32", reply.Interfaces[0].IpAddresses[0].Address);
        }

        var before = node.Dump();
        var extra = _ns.Create("extra");
        var e = await Assert.ThrowsAsync<RpcException>(() => node.AddPodAsync("extra", extra, "cidextra"));
        Assert.Contains("default/extra", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("10.1.0.8/29", e.Status.Detail, StringComparison.Ordinal);
        var after = node.Dump();
        Assert.Equal(before.Interfaces.Select(i => i.Name).Order(), after.Interfaces.Select(i => i.Name).Order());
        Assert.DoesNotContain("eth0", Shell.Run($"ip -n {extra} link").StdOut, StringComparison.Ordinal);
    }
}
