namespace Contiv.Lab.Controllers;

/// <summary>One controller of the controller-manager: a work queue of keys and the reconcile of one key.</summary>
internal interface IController
{
    /// <summary>Name in logs.</summary>
    string Name { get; }

    /// <summary>The controller's queue.</summary>
    WorkQueue Queue { get; }

    /// <summary>Brings the object with <paramref name="key"/> (and what it owns) to its desired state; a missing object is a no-op.</summary>
    Task ReconcileAsync(string key, CancellationToken ct);
}
