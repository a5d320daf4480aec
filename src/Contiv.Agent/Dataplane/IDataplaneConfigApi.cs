using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>
/// The part of contiv-vpp's API the data plane descriptors use: batched <c>Apply</c> and one <c>Dump</c> of
/// everything. <see cref="DataplaneConnection"/> is the real one; tests record the operations instead.
/// </summary>
internal interface IDataplaneConfigApi : IKvBatchExecutor<ConfigOp>
{
    /// <summary>Dumps every kind of object.</summary>
    DumpReply DumpAll();

    /// <summary>Applies one operation; throws with the data plane's message when it failed (NOT_FOUND on delete is success).</summary>
    void ApplyOne(ConfigOp op, string what)
    {
        ArgumentNullException.ThrowIfNull(op);
        var r = Execute([new KvBatchOperation<ConfigOp>(op, what)])[0];
        if (!r.Done)
        {
            throw r.Error ?? new KvOperationException($"{what}: not applied", transient: true);
        }
    }
}
