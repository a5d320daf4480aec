using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The product in the lab: the shared two-node lab (<see cref="SharedContivLab"/>, each node with contiv-vpp owning
/// its data link, contiv-agent, contiv-cni and a kubelet) and four pods (two TCP servers, two sleepers), two on each
/// node, deleted again when the class ends. A failing <c>up</c> or pod start fails every test of the class with the
/// lab's diagnostics.
/// </summary>
public sealed class ContivLabFixture : IDisposable
{
    public static readonly string BasePods = Pods.Join(Pods.Web("web1", "node1"), Pods.Web("web2", "node2"), Pods.Sleeper("client1", "node1"), Pods.Sleeper("client2", "node2"));

    private readonly SharedContivLab _shared;

    public ContivLabFixture(SharedContivLab shared)
    {
        _shared = shared;
        if (!Privileges.IsRoot)
        {
            return;
        }

        StartError = shared.ApplyFor("the four base pods", BasePods, 90);
    }

    public Lab Lab => _shared.Lab;

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => _shared.RemoveFor(BasePods);
}
