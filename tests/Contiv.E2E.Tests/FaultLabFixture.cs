using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The shared two-node lab (<see cref="SharedContivLab"/>) with the four base pods of <see cref="ContivLabFixture"/>,
/// for every fault-injection test; the pods are deleted again when the class ends (each test leaves the lab
/// recovered: the supervisor restarts what was killed and the test waits for the full matrix).
/// </summary>
public sealed class FaultLabFixture : IDisposable
{
    private readonly SharedContivLab _shared;

    public FaultLabFixture(SharedContivLab shared)
    {
        _shared = shared;
        if (!Privileges.IsRoot)
        {
            return;
        }

        StartError = shared.ApplyFor("the four base pods", ContivLabFixture.BasePods, 90);
    }

    public Lab Lab => _shared.Lab;

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    public void Dispose()
    {
        if (Privileges.IsRoot && _shared.StartError is null)
        {
            // A failed test may have left its churn pods.
            Lab.Kubectl("delete", "pod", "-l", "churn=yes");
        }

        _shared.RemoveFor(ContivLabFixture.BasePods);
    }
}
