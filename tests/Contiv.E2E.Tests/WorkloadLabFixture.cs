using Contiv.Testing;

namespace Contiv.E2E.Tests;

/// <summary>
/// The shared contiv lab (<see cref="SharedContivLab"/>, two nodes) for every workload test: the controller-manager,
/// kubectl's workload verbs, logs and exec run against it, with a client pod (deleted again when the class ends).
/// A failing <c>up</c> fails every test of the class with the output.
/// </summary>
public sealed class WorkloadLabFixture : IDisposable
{
    private static readonly string Client = Pods.Sleeper("client", "node1");

    private readonly SharedContivLab _shared;

    public WorkloadLabFixture(SharedContivLab shared)
    {
        _shared = shared;
        if (!Privileges.IsRoot)
        {
            return;
        }

        StartError = shared.ApplyFor("the client pod", Client, 90);
    }

    public Lab Lab => _shared.Lab;

    /// <summary>Why the lab could not be started (null when it runs).</summary>
    public string? StartError { get; }

    /// <summary>Writes a manifest into a temporary file and returns its path.</summary>
    public static string WriteTemp(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"clw-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    public void Dispose()
    {
        if (Privileges.IsRoot && _shared.StartError is null)
        {
            // What a failed test may have left: its Deployment (with ReplicaSets and pods), Service and DaemonSet.
            Lab.Kubectl("delete", "deployment/web", "service/web", "daemonset/probe", "--ignore-not-found");
        }

        _shared.RemoveFor(Client);
    }
}
