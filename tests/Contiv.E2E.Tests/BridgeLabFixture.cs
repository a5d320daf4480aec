using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// One lab on the kernel baseline network (<c>--network bridge</c>: CNI reference bridge plugin +
/// host-local, kernel routes between node namespaces) with two nodes, shared by the tests of the
/// lab's own mechanics: namespaces, kubelet stand-in, CNI chain, scheduler, check. Independent of
/// the vswitch, so these tests say whether the lab itself works.
/// </summary>
public sealed class BridgeLabFixture : IDisposable
{
    public BridgeLabFixture()
    {
        if (!Privileges.IsRoot)
        {
            return;
        }

        Lab.Run("down");
        Lab.Ok("up", "--network", "bridge", "--nodes", "2", "--cni-check-interval", "2");
    }

    public Lab Lab { get; } = new("e2eb");

    public void Dispose() => Lab.Dispose();
}
