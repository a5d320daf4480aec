using Contiv.Model.Ksr;

namespace Contiv.Ksr.Reflection;

/// <summary>
/// The counters of one reflector (Contiv's <c>KsrStats</c>): written records, resyncs and the
/// errors of each kind. Thread-safe; readers get a consistent-enough snapshot.
/// </summary>
internal sealed class ReflectorStatistics
{
    private long _adds;
    private long _updates;
    private long _deletes;
    private long _resyncs;
    private long _addErrors;
    private long _updErrors;
    private long _delErrors;
    private long _argErrors;
    private long _resErrors;

    /// <summary>Called after every change of a counter (the sync controller then schedules a statistics write).</summary>
    internal Action? Changed { get; set; }

    /// <summary>Records created in etcd.</summary>
    public long Adds => Interlocked.Read(ref _adds);

    /// <summary>Records replaced in etcd (value changed).</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>Records deleted from etcd.</summary>
    public long Deletes => Interlocked.Read(ref _deletes);

    /// <summary>Completed mark-and-sweep resyncs.</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>Failed creates.</summary>
    public long AddErrors => Interlocked.Read(ref _addErrors);

    /// <summary>Failed updates.</summary>
    public long UpdErrors => Interlocked.Read(ref _updErrors);

    /// <summary>Failed deletes.</summary>
    public long DelErrors => Interlocked.Read(ref _delErrors);

    /// <summary>Kubernetes objects that could not be converted.</summary>
    public long ArgErrors => Interlocked.Read(ref _argErrors);

    /// <summary>Failed resync attempts.</summary>
    public long ResErrors => Interlocked.Read(ref _resErrors);

    internal void Added(long n = 1) => Bump(ref _adds, n);

    internal void Updated(long n = 1) => Bump(ref _updates, n);

    internal void Deleted(long n = 1) => Bump(ref _deletes, n);

    internal void Resynced() => Bump(ref _resyncs, 1);

    internal void AddFailed(long n = 1) => Bump(ref _addErrors, n);

    internal void UpdateFailed(long n = 1) => Bump(ref _updErrors, n);

    internal void DeleteFailed(long n = 1) => Bump(ref _delErrors, n);

    internal void ArgumentFailed() => Bump(ref _argErrors, 1);

    internal void ResyncFailed() => Bump(ref _resErrors, 1);

    /// <summary>Adds to one counter, then tells <see cref="Changed"/>.</summary>
    private void Bump(ref long counter, long n)
    {
        Interlocked.Add(ref counter, n);
        Changed?.Invoke();
    }

    /// <summary>The counters as the <c>ksrapi.KsrStats</c> record.</summary>
    /// <returns>A new record.</returns>
    public KsrStats ToProto() => new()
    {
        Adds = (ulong)Adds,
        Updates = (ulong)Updates,
        Deletes = (ulong)Deletes,
        Resyncs = (ulong)Resyncs,
        AddErrors = (ulong)AddErrors,
        UpdErrors = (ulong)UpdErrors,
        DelErrors = (ulong)DelErrors,
        ArgErrors = (ulong)ArgErrors,
        ResErrors = (ulong)ResErrors,
    };
}
