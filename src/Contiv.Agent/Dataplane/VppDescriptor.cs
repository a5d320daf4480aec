using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// Base of data plane descriptors: create/update = PUT, delete = DELETE, all batched into one <c>Apply</c> per flush
/// through the data plane API (<see cref="DataplaneConnection"/>); retrieve from one dump shared by all data plane descriptors.
/// A new kind of data plane object needs <see cref="Op"/> (which <see cref="ConfigOp"/> field carries it) and
/// <see cref="FromDump"/> (where the dump lists it), plus dependencies and equivalence where they are not trivial.
/// </summary>
/// <typeparam name="T">The item's value: the object's protobuf message, or a record that <see cref="Op"/> converts to one.</typeparam>
internal abstract class VppDescriptor<T>(IDataplaneConfigApi dataplane) : KvDescriptor<T>, IKvBatchingDescriptor<T, ConfigOp>
    where T : class
{
    /// <inheritdoc/>
    public IKvBatchExecutor<ConfigOp> BatchExecutor => Dataplane;

    /// <summary>The data plane client.</summary>
    protected IDataplaneConfigApi Dataplane { get; } = dataplane;

    /// <inheritdoc/>
    public ConfigOp PrepareOperation(KvOp op, string key, T value) =>
        Op(op == KvOp.Delete ? ConfigOp.Types.Action.Delete : ConfigOp.Types.Action.Put, value);

    /// <summary>Wraps the value in an operation.</summary>
    protected abstract ConfigOp Op(ConfigOp.Types.Action action, T value);

    /// <summary>Retrieved items of this kind keyed like desired items.</summary>
    protected abstract IEnumerable<KeyValuePair<string, T>> FromDump(DumpReply dump);

    /// <inheritdoc/>
    public override void Create(string key, T value) => Dataplane.ApplyOne(PrepareOperation(KvOp.Create, key, value), $"{Name} {key}");

    /// <inheritdoc/>
    public override void Update(string key, T oldValue, T newValue) => Create(key, newValue);

    /// <inheritdoc/>
    public override void Delete(string key, T value) => Dataplane.ApplyOne(PrepareOperation(KvOp.Delete, key, value), $"{Name} {key}");

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, T>? Retrieve(IReadOnlyDictionary<string, T> keysOfInterest, RetrieveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dump = context.GetOrAdd("vpp-dump", Dataplane.DumpAll);
        return FromDump(dump).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }
}
