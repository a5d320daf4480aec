using Contiv.Testing;

namespace Contiv.Agent.Tests.Integration;

/// <summary>
/// One vswitch node per test: a real etcd, the published contiv-vpp and contiv-agent in a fresh
/// node namespace. Everything (processes, namespaces, etcd data) is removed after the test, also
/// when the start failed half-way.
/// </summary>
public abstract class SingleNodeTestBase : IAsyncLifetime
{
    /// <summary>Namespaces of this test (the node and its pods).</summary>
    protected NetnsScope Ns { get; } = new();

    /// <summary>The test's etcd; null when not root (the facts are skipped then).</summary>
    protected EtcdServer? Etcd { get; private set; }

    /// <summary>The node (data plane + agent); null when not root.</summary>
    private protected VswitchNode? Node { get; private set; }

    /// <summary>The agent's contiv.conf for this test class.</summary>
    protected abstract string AgentConfig { get; }

    public Task InitializeAsync() => Fixtures.StartOrCleanUpAsync(StartAsync, DisposeAsync);

    /// <summary>Runs after the node is ready (e.g. to add pods every test of the class needs).</summary>
    protected virtual Task AfterStartAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }

        Ns.Dispose();
        if (Etcd is not null)
        {
            await Etcd.DisposeAsync();
        }
    }

    private async Task StartAsync()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        Etcd = await EtcdServer.StartAsync();
        Node = new VswitchNode("node1", Ns.Create("node1"), Etcd.ClientUrl, AgentConfig);
        Node.StartVpp();
        Node.StartAgent();
        await Node.WaitReadyAsync();
        await AfterStartAsync();
    }
}
