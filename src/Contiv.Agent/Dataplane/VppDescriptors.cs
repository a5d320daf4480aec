using Contiv.Agent.Addressing;
using Contiv.Agent.Scheduler;
using Contiv.Model.Vpp;
using Google.Protobuf;
using Route = Contiv.Model.Vpp.Route;

namespace Contiv.Agent.Dataplane;

/// <summary>Base of data plane descriptors: create/update = PUT, delete = DELETE, retrieve from one shared dump.</summary>
public abstract class VppDescriptor<T>(DataplaneConnection dataplane) : KvDescriptorBase, IKvBatchingDescriptor
    where T : class, IMessage<T>
{
    /// <inheritdoc/>
    public IKvBatchExecutor BatchExecutor => Dataplane;

    /// <inheritdoc/>
    public object PrepareOperation(KvOp op, string key, object value) =>
        Op(op == KvOp.Delete ? ConfigOp.Types.Action.Delete : ConfigOp.Types.Action.Put, (T)value);

    /// <summary>The data plane client.</summary>
    protected DataplaneConnection Dataplane { get; } = dataplane;

    /// <summary>Wraps the value in an operation.</summary>
    protected abstract ConfigOp Op(ConfigOp.Types.Action action, T value);

    /// <summary>Retrieved items of this kind keyed like desired items.</summary>
    protected abstract IEnumerable<KeyValuePair<string, object>> FromDump(DumpReply dump);

    /// <inheritdoc/>
    public override void Create(string key, object value) => Dataplane.ApplyOne((ConfigOp)PrepareOperation(KvOp.Create, key, value), $"{Name} {key}");

    /// <inheritdoc/>
    public override void Update(string key, object oldValue, object newValue) => Create(key, newValue);

    /// <inheritdoc/>
    public override void Delete(string key, object value) => Dataplane.ApplyOne((ConfigOp)PrepareOperation(KvOp.Delete, key, value), $"{Name} {key}");

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object>? Retrieve(IReadOnlyDictionary<string, object?> keysOfInterest, RetrieveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dump = context.GetOrAdd("vpp-dump", Dataplane.DumpAll);
        return FromDump(dump).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }
}

/// <summary>Interfaces (TAP, AF_PACKET, loopback, VXLAN) keyed <c>vpp/interface/{name}</c>.</summary>
public sealed class VppInterfaceDescriptor(DataplaneConnection dataplane) : VppDescriptor<Interface>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-interface";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.InterfacePrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, object value)
    {
        var i = (Interface)value;
        if (!string.IsNullOrEmpty(i.UnnumberedTo))
        {
            yield return VppKeys.Interface(i.UnnumberedTo);
        }

        if (i.Type != InterfaceType.VxlanTunnel)
        {
            yield return VppKeys.Vrf(i.Vrf);
        }
        else
        {
            yield return VppKeys.Vrf(i.Vxlan.EncapVrfId);
        }
    }

    /// <inheritdoc/>
    public override bool RequiresRecreate(string key, object oldValue, object newValue)
    {
        var o = (Interface)oldValue;
        var n = (Interface)newValue;
        return o.Type != n.Type || o.LinkCase != n.LinkCase
            || (n.LinkCase == Interface.LinkOneofCase.Tap && (o.Tap.HostIfName != n.Tap.HostIfName || o.Tap.HostNamespace != n.Tap.HostNamespace))
            || (n.LinkCase == Interface.LinkOneofCase.Afpacket && o.Afpacket.HostIfName != n.Afpacket.HostIfName)
            || (n.LinkCase == Interface.LinkOneofCase.Vxlan && !o.Vxlan.Equals(n.Vxlan));
    }

    /// <inheritdoc/>
    public override bool Equivalent(string key, object desired, object applied)
    {
        var d = (Interface)desired;
        var a = (Interface)applied;
        if (d.Name != a.Name || d.Type != a.Type || d.Enabled != a.Enabled || d.Vrf != a.Vrf || d.UnnumberedTo != a.UnnumberedTo
            || (d.Mtu != 0 && a.Mtu != 0 && d.Mtu != a.Mtu)
            || (d.PhysAddress.Length > 0 && MacAddresses.Normalize(d.PhysAddress) != MacAddresses.Normalize(a.PhysAddress))
            || !d.IpAddresses.OrderBy(x => x, StringComparer.Ordinal).SequenceEqual(a.IpAddresses.OrderBy(x => x, StringComparer.Ordinal)))
        {
            return false;
        }

        // Link details: compare what the data plane reports back (a dump may leave optional fields empty).
        return d.LinkCase switch
        {
            Interface.LinkOneofCase.Tap => a.LinkCase != Interface.LinkOneofCase.Tap || (Same(d.Tap.HostIfName, a.Tap.HostIfName) && Same(d.Tap.HostNamespace, a.Tap.HostNamespace)),
            Interface.LinkOneofCase.Afpacket => a.LinkCase != Interface.LinkOneofCase.Afpacket || Same(d.Afpacket.HostIfName, a.Afpacket.HostIfName),
            Interface.LinkOneofCase.Vxlan => a.LinkCase != Interface.LinkOneofCase.Vxlan
                || (d.Vxlan.SrcAddress == a.Vxlan.SrcAddress && d.Vxlan.DstAddress == a.Vxlan.DstAddress && d.Vxlan.Vni == a.Vxlan.Vni && d.Vxlan.EncapVrfId == a.Vxlan.EncapVrfId),
            _ => true,
        };

        static bool Same(string want, string got) => got.Length == 0 || want == got;
    }

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, Interface value) => new() { Action = action, Interface = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object>> FromDump(DumpReply dump)
    {
        foreach (var i in dump.Interfaces)
        {
            // Only named interfaces are the agent's; unnamed ones (e.g. created by hand) are left alone.
            if (i.Name.Length == 0 || i.Name == i.DevName && i.Name.StartsWith("local", StringComparison.Ordinal))
            {
                continue;
            }

            var clean = i.Clone();
            clean.SwIfIndex = 0;
            clean.DevName = string.Empty;
            clean.LinkUp = false;
            yield return KeyValuePair.Create(VppKeys.Interface(i.Name), (object)clean);
        }
    }
}

/// <summary>VRF tables keyed <c>vpp/vrf-table/{id}</c>. Table 0 always exists and is never deleted.</summary>
public sealed class VppVrfDescriptor(DataplaneConnection dataplane) : VppDescriptor<VrfTable>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-vrf-table";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.VrfPrefix;

    /// <inheritdoc/>
    public override bool Equivalent(string key, object desired, object applied) => ((VrfTable)desired).Id == ((VrfTable)applied).Id;

    /// <inheritdoc/>
    public override void Delete(string key, object value)
    {
        if (((VrfTable)value).Id != 0)
        {
            base.Delete(key, value);
        }
    }

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, VrfTable value) => new() { Action = action, Vrf = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object>> FromDump(DumpReply dump)
        => dump.Vrfs.Select(v => KeyValuePair.Create(VppKeys.Vrf(v.Id), (object)v));
}

/// <summary>Routes keyed by VRF, destination, next hop and interface.</summary>
public sealed class VppRouteDescriptor(DataplaneConnection dataplane) : VppDescriptor<Route>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-route";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.RoutePrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, object value)
    {
        var r = (Route)value;
        yield return VppKeys.Vrf(r.VrfId);
        if (r.OutInterface.Length > 0)
        {
            yield return VppKeys.Interface(r.OutInterface);
        }

        if (r.Type == RouteType.InterVrf)
        {
            yield return VppKeys.Vrf(r.ViaVrfId);
        }
    }

    /// <inheritdoc/>
    public override bool Equivalent(string key, object desired, object applied)
    {
        var d = (Route)desired;
        var a = (Route)applied;
        // Weight 0 means the default (1), which is what the data plane reports back.
        return d.Type == a.Type && (d.Type != RouteType.InterVrf || d.ViaVrfId == a.ViaVrfId)
            && Math.Max(d.Weight, 1u) == Math.Max(a.Weight, 1u) && d.Preference == a.Preference;
    }

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, Route value) => new() { Action = action, Route = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object>> FromDump(DumpReply dump)
        => dump.Routes.Select(r => KeyValuePair.Create(VppKeys.Route(r), (object)r));
}

/// <summary>Static ARP entries keyed <c>vpp/arp/{interface}/{ip}</c> (dynamic entries are ignored).</summary>
public sealed class VppArpDescriptor(DataplaneConnection dataplane) : VppDescriptor<ArpEntry>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-arp";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.ArpPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, object value) => [VppKeys.Interface(((ArpEntry)value).Interface)];

    /// <inheritdoc/>
    public override bool Equivalent(string key, object desired, object applied)
        => MacAddresses.Normalize(((ArpEntry)desired).PhysAddress) == MacAddresses.Normalize(((ArpEntry)applied).PhysAddress)
           && ((ArpEntry)desired).Static == ((ArpEntry)applied).Static;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, ArpEntry value) => new() { Action = action, Arp = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object>> FromDump(DumpReply dump)
        => dump.Arps.Where(a => a.Static).Select(a => KeyValuePair.Create(VppKeys.Arp(a.Interface, a.IpAddress), (object)a));
}

/// <summary>Bridge domains keyed <c>vpp/bd/{name}</c>; a BD depends on its member interfaces.</summary>
public sealed class VppBridgeDomainDescriptor(DataplaneConnection dataplane) : VppDescriptor<BridgeDomain>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-bridge-domain";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.BridgeDomainPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, object value) => ((BridgeDomain)value).Interfaces.Select(m => VppKeys.Interface(m.Name));

    /// <inheritdoc/>
    public override bool Equivalent(string key, object desired, object applied)
    {
        var d = (BridgeDomain)desired;
        var a = (BridgeDomain)applied;
        return d.Id == a.Id && d.Flood == a.Flood && d.UnknownUnicastFlood == a.UnknownUnicastFlood && d.Forward == a.Forward && d.Learn == a.Learn
            && d.Interfaces.OrderBy(m => m.Name, StringComparer.Ordinal).SequenceEqual(a.Interfaces.OrderBy(m => m.Name, StringComparer.Ordinal));
    }

    /// <inheritdoc/>
    public override bool RequiresRecreate(string key, object oldValue, object newValue) => ((BridgeDomain)oldValue).Id != ((BridgeDomain)newValue).Id;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, BridgeDomain value) => new() { Action = action, BridgeDomain = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object>> FromDump(DumpReply dump)
        => dump.BridgeDomains.Where(b => b.Name.Length > 0).Select(b => KeyValuePair.Create(VppKeys.BridgeDomain(b.Name), (object)b));
}

/// <summary>Static L2 FIB entries keyed <c>vpp/l2fib/{bd name}/{mac}</c>.</summary>
public sealed class VppL2FibDescriptor(DataplaneConnection dataplane, Func<uint, string?> bdNameById) : VppDescriptor<L2FibEntry>(dataplane)
{
    /// <inheritdoc/>
    public override string Name => "vpp-l2-fib";

    /// <inheritdoc/>
    public override string KeyPrefix => VppKeys.L2FibPrefix;

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, object value)
    {
        var f = (L2FibEntry)value;
        var bd = key[KeyPrefix.Length..key.LastIndexOf('/')];
        return [VppKeys.BridgeDomain(bd), VppKeys.Interface(f.OutgoingInterface)];
    }

    /// <inheritdoc/>
    public override bool Equivalent(string key, object desired, object applied)
    {
        var d = (L2FibEntry)desired;
        var a = (L2FibEntry)applied;
        return d.OutgoingInterface == a.OutgoingInterface && d.Static == a.Static && d.BridgedVirtualInterface == a.BridgedVirtualInterface;
    }

    /// <inheritdoc/>
    public override bool RequiresRecreate(string key, object oldValue, object newValue) => true;

    /// <inheritdoc/>
    protected override ConfigOp Op(ConfigOp.Types.Action action, L2FibEntry value) => new() { Action = action, L2Fib = value };

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object>> FromDump(DumpReply dump)
    {
        // The data plane adds the BVI's own MAC itself when a BVI joins a BD; that entry is not the agent's.
        foreach (var f in dump.L2Fibs.Where(f => f.Static && !f.BridgedVirtualInterface))
        {
            var bd = dump.BridgeDomains.FirstOrDefault(b => b.Id == f.BridgeDomainId)?.Name ?? bdNameById(f.BridgeDomainId);
            if (bd is not null)
            {
                yield return KeyValuePair.Create(VppKeys.L2Fib(bd, MacAddresses.Normalize(f.PhysAddress)), (object)f);
            }
        }
    }
}
