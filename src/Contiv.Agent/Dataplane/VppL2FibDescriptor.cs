using Contiv.Agent.Addressing;
using Contiv.Model.Vpp;

namespace Contiv.Agent.Dataplane;

/// <summary>Static L2 FIB entries keyed <c>vpp/l2fib/{bd name}/{mac}</c>.</summary>
internal sealed class VppL2FibDescriptor(IDataplaneConfigApi dataplane, Func<uint, string?> bdNameById) : VppDescriptor<L2FibEntry>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-l2-fib";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.L2FibPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, L2FibEntry value)
    {
        var f = value;
        var bd = key[KeyPrefix.Length..key.LastIndexOf('/')];
        return [VppKeys.BridgeDomain(bd), VppKeys.Interface(f.OutgoingInterface)];
    }

    /// <inheritdoc/>
    public override bool Equivalent(string key, L2FibEntry desired, L2FibEntry applied)
    {
        var d = desired;
        var a = applied;
        return d.OutgoingInterface == a.OutgoingInterface && d.Static == a.Static && d.BridgedVirtualInterface == a.BridgedVirtualInterface;
    }

    /// <inheritdoc/>
    public override bool RequiresRecreate(string key, L2FibEntry oldValue, L2FibEntry newValue) => true;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, L2FibEntry value) => new() { Action = action, L2Fib = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, L2FibEntry>> FromDump(DumpReply dump)
    {
        // The data plane adds the BVI's own MAC itself when a BVI joins a BD; that entry is not the agent's.
        foreach (var f in dump.L2Fibs.Where(f => f.Static && !f.BridgedVirtualInterface))
        {
            var bd = dump.BridgeDomains.FirstOrDefault(b => b.Id == f.BridgeDomainId)?.Name ?? bdNameById(f.BridgeDomainId);
            if (bd is not null)
            {
                yield return KeyValuePair.Create(VppKeys.L2Fib(bd, MacAddresses.Normalize(f.PhysAddress)), f);
            }
        }
    }
}
