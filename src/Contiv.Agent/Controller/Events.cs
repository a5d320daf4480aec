using Google.Protobuf;

namespace Contiv.Agent.Controller;

/// <summary>How an event is processed (SPEC §1.6.1).</summary>
internal enum EventMethod
{
    /// <summary>Handlers rebuild the whole desired state; the scheduler reads back and corrects the difference.</summary>
    FullResync,

    /// <summary>No handler runs; the scheduler reads back and corrects the difference.</summary>
    DownstreamResync,

    /// <summary>Handlers rebuild the whole desired state; the applied state is trusted.</summary>
    UpstreamResync,

    /// <summary>Handlers produce an incremental change.</summary>
    Update,
}

/// <summary>How failures of an update event are treated.</summary>
internal enum UpdateTransactionType
{
    /// <summary>Apply what can be applied; schedule a healing resync on error.</summary>
    BestEffort,

    /// <summary>Apply what can be applied; errors do not trigger healing.</summary>
    BestEffortIgnoreErrors,

    /// <summary>On any error undo the whole event (handlers' Revert + scheduler revert).</summary>
    RevertOnFailure,
}

/// <summary>Order in which handlers see an update event.</summary>
internal enum EventDirection
{
    /// <summary>Handlers in registration order.</summary>
    Forward,

    /// <summary>Handlers in reverse order (deletes).</summary>
    Reverse,
}

/// <summary>An event for the event loop. Blocking events are awaited by their producer through <see cref="Completion"/>.</summary>
internal abstract class AgentEvent
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Short name, e.g. "Add Pod".</summary>
    public abstract string Name { get; }

    /// <summary>Processing method.</summary>
    public abstract EventMethod Method { get; }

    /// <summary>Producer waits for the outcome.</summary>
    public virtual bool IsBlocking => false;

    /// <summary>Error handling of update events.</summary>
    public virtual UpdateTransactionType TransactionType => UpdateTransactionType.BestEffort;

    /// <summary>Handler order of update events.</summary>
    public virtual EventDirection Direction => EventDirection.Forward;

    /// <summary>Completes when processed; faults with the event's error.</summary>
    public Task Completion => _done.Task;

    /// <summary>Longer description for logs and history.</summary>
    public override string ToString() => Name;

    /// <summary>Marks the event done (called by the loop once).</summary>
    internal void Done(Exception? error)
    {
        if (error is null)
        {
            _done.TrySetResult();
        }
        else
        {
            _done.TrySetException(error);
        }
    }
}

/// <summary>Snapshot of Kubernetes state reflected in etcd: resource keyword → key (without KSR prefix) → value.</summary>
internal sealed class KubeStateData
{
    private readonly Dictionary<string, Dictionary<string, IMessage>> _data = new(StringComparer.Ordinal);

    /// <summary>Items of one resource (empty when none).</summary>
    public IReadOnlyDictionary<string, IMessage> this[string resource]
        => _data.TryGetValue(resource, out var m) ? m : (IReadOnlyDictionary<string, IMessage>)new Dictionary<string, IMessage>();

    /// <summary>Resources present.</summary>
    public IEnumerable<string> Resources => _data.Keys;

    /// <summary>Sets or removes (null) one item.</summary>
    public void Set(string resource, string key, IMessage? value)
    {
        if (!_data.TryGetValue(resource, out var m))
        {
            m = new Dictionary<string, IMessage>(StringComparer.Ordinal);
            _data[resource] = m;
        }

        if (value is null)
        {
            m.Remove(key);
        }
        else
        {
            m[key] = value;
        }
    }

    /// <summary>A deep copy (values are shared: protobuf values are treated as immutable).</summary>
    public KubeStateData Clone()
    {
        var c = new KubeStateData();
        foreach (var (r, m) in _data)
        {
            foreach (var (k, v) in m)
            {
                c.Set(r, k, v);
            }
        }

        return c;
    }
}

/// <summary>Full resync from the database (startup, reconnect, <c>POST /controller/resync</c>).</summary>
/// <param name="KubeState">Everything under the KSR prefix.</param>
/// <param name="Local">True when replayed from the local mirror because etcd was unreachable.</param>
internal sealed class DbResync(KubeStateData kubeState, bool local = false) : AgentEvent
{
    /// <summary>Kubernetes state.</summary>
    public KubeStateData KubeState { get; } = kubeState;

    /// <summary>From the local mirror.</summary>
    public bool Local { get; } = local;

    /// <inheritdoc/>
    public override string Name => "DB Resync";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.FullResync;

    /// <inheritdoc/>
    public override string ToString() => $"DB Resync ({(Local ? "local" : "etcd")}, {KubeState.Resources.Sum(r => KubeState[r].Count)} items)";
}

/// <summary>One change of Kubernetes state in etcd.</summary>
internal sealed class KubeStateChange(string resource, string key, IMessage? prevValue, IMessage? newValue) : AgentEvent
{
    /// <summary>Resource keyword (pod, node, vppnode …).</summary>
    public string Resource { get; } = resource;

    /// <summary>Key without the KSR prefix.</summary>
    public string Key { get; } = key;

    /// <summary>Value before (null = created).</summary>
    public IMessage? PrevValue { get; } = prevValue;

    /// <summary>Value after (null = deleted).</summary>
    public IMessage? NewValue { get; } = newValue;

    /// <inheritdoc/>
    public override string Name => "Kubernetes State Change";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.Update;

    /// <inheritdoc/>
    public override EventDirection Direction => NewValue is null ? EventDirection.Reverse : EventDirection.Forward;

    /// <inheritdoc/>
    public override string ToString() => $"Kubernetes State Change {Resource} {Key} ({(NewValue is null ? "deleted" : PrevValue is null ? "created" : "updated")})";
}

/// <summary>Kind of healing resync.</summary>
internal enum HealingKind
{
    /// <summary>Periodic, downstream only.</summary>
    Periodic,

    /// <summary>After a failed event, full.</summary>
    AfterError,
}

/// <summary>Healing resync scheduled by the controller.</summary>
internal sealed class HealingResync(HealingKind kind, string? error = null) : AgentEvent
{
    /// <summary>Kind.</summary>
    public HealingKind Kind { get; } = kind;

    /// <summary>The error being healed.</summary>
    public string? Error { get; } = error;

    /// <inheritdoc/>
    public override string Name => "Healing Resync";

    /// <inheritdoc/>
    public override EventMethod Method => Kind == HealingKind.Periodic ? EventMethod.DownstreamResync : EventMethod.FullResync;

    /// <inheritdoc/>
    public override string ToString() => Kind == HealingKind.Periodic ? "Periodic Healing Resync" : $"Healing Resync after error: {Error}";
}

/// <summary>Agent shutdown (blocking).</summary>
internal sealed class ShutdownEvent : AgentEvent
{
    /// <inheritdoc/>
    public override string Name => "Shutdown";

    /// <inheritdoc/>
    public override EventMethod Method => EventMethod.Update;

    /// <inheritdoc/>
    public override bool IsBlocking => true;
}

/// <summary>A handler error that no healing can fix: the agent goes to the fatal state (readiness and liveness fail).</summary>
internal sealed class FatalEventException(string message, Exception? inner = null) : Exception(message, inner);
