using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The product with Services, on the shared two-node lab (<see cref="SharedContivLab"/>): three who-am-i backends
/// (two on node1, one on node2), a client pod per node and the Services of <see cref="ServiceManifests.AllServices"/>,
/// deleted again when the class ends. A failing start fails every test with the lab's diagnostics.
/// </summary>
public sealed class ServicesLabFixture : IDisposable
{
    private readonly SharedContivLab _shared;

    public ServicesLabFixture(SharedContivLab shared)
    {
        _shared = shared;
        if (!Privileges.IsRoot)
        {
            return;
        }

        StartError = shared.ApplyFor("applying the pods", ServiceManifests.Workloads, 120)
            ?? shared.ApplyFor("applying the services", ServiceManifests.AllServices, null);
    }

    public Lab Lab => _shared.Lab;

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose() => _shared.RemoveFor(Pods.Join(ServiceManifests.AllServices, ServiceManifests.Workloads));
}
