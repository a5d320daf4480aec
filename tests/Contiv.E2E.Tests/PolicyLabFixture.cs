using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The product with NetworkPolicies: the shared two-node lab (<see cref="SharedContivLab"/>) with the 3 × 3 grid of
/// <see cref="PolicyManifests"/> (its namespaces and pods deleted again when the class ends). Set up once for all of
/// <see cref="PolicyTests"/>; a failing start fails every test with the lab's diagnostics.
/// </summary>
public sealed class PolicyLabFixture : IDisposable
{
    private readonly SharedContivLab _shared;

    public PolicyLabFixture(SharedContivLab shared)
    {
        _shared = shared;
        if (!Privileges.IsRoot)
        {
            return;
        }

        StartError = shared.ApplyFor("applying the grid", PolicyManifests.GridManifest(), 120);
    }

    public Lab Lab => _shared.Lab;

    /// <summary>The grid pods with IPs and namespaces, looked up by the first test that needs them.</summary>
    public List<PolicyTests.GridPod>? Pods { get; set; }

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose()
    {
        if (Privileges.IsRoot && _shared.StartError is null)
        {
            // A case whose own cleanup failed may have left a policy behind.
            foreach (var ns in PolicyManifests.Namespaces)
            {
                Lab.Kubectl("delete", "networkpolicy", "--all", "-n", ns);
            }
        }

        _shared.RemoveFor(PolicyManifests.GridManifest());
    }
}
