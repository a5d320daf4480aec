using System.Globalization;
using System.Net;
using Contiv.Agent.Addressing;
using Contiv.Agent.Scheduler;
using Contiv.Linux;
using LinuxRouteMessage = Contiv.Linux.Route;

namespace Contiv.Agent.LinuxConfig;

/// <summary>Common parts of Linux descriptors: dependency lists and netlink error mapping.</summary>
public abstract class LinuxDescriptor<T>(LinuxNamespaces namespaces) : KvDescriptorBase
    where T : class
{
    /// <summary>Namespace access.</summary>
    protected LinuxNamespaces Namespaces { get; } = namespaces;

    /// <summary>Comma-separated dependency keys of a value.</summary>
    protected abstract string DependsOn(T value);

    /// <summary>Namespace of a value.</summary>
    protected abstract string NetnsOf(T value);

    /// <inheritdoc/>
    public override IEnumerable<string> Dependencies(string key, object value) => DependsOn((T)value).Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Creates the item in Linux.</summary>
    protected abstract void Apply(RtNetlink nl, T value);

    /// <summary>Removes the item from Linux.</summary>
    protected abstract void Remove(RtNetlink nl, T value);

    /// <summary>True when the item exists as described.</summary>
    protected abstract bool Exists(RtNetlink nl, T value);

    /// <inheritdoc/>
    public override void Create(string key, object value)
    {
        var v = (T)value;
        try
        {
            Namespaces.With(NetnsOf(v), nl => Apply(nl, v));
        }
        catch (NetlinkException e) when (e.IsAlreadyExists)
        {
            // Already there: the desired state holds.
        }
        catch (NetlinkException e)
        {
            throw new KvOperationException($"{Name} {key}: {e.Message}", transient: !e.IsNotFound, e);
        }
    }

    /// <inheritdoc/>
    public override void Update(string key, object oldValue, object newValue)
    {
        Delete(key, oldValue);
        Create(key, newValue);
    }

    /// <inheritdoc/>
    public override void Delete(string key, object value)
    {
        var v = (T)value;
        try
        {
            Namespaces.With(NetnsOf(v), nl => Remove(nl, v));
        }
        catch (NetlinkException e) when (e.IsNotFound)
        {
            // Gone with its link or namespace: deleting a missing item succeeds.
        }
        catch (NetlinkException e)
        {
            throw new KvOperationException($"{Name} {key}: {e.Message}", transient: true, e);
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object>? Retrieve(IReadOnlyDictionary<string, object?> keysOfInterest, RetrieveContext context)
    {
        ArgumentNullException.ThrowIfNull(keysOfInterest);
        var found = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in keysOfInterest)
        {
            if (value is not T v)
            {
                continue;
            }

            try
            {
                if (Namespaces.With(NetnsOf(v), nl => Exists(nl, v)))
                {
                    found[key] = v;
                }
            }
            catch (NetlinkException)
            {
                // Namespace or link missing: the item does not exist.
            }
        }

        return found;
    }

    /// <summary>Index of a link; throws IsNotFound when missing.</summary>
    protected static int IndexOf(RtNetlink nl, string name) => nl.GetLinkIndex(name);

    /// <summary>Index of a link or null.</summary>
    protected static int? FindIndex(RtNetlink nl, string name) => nl.FindLink(name)?.Index;
}

/// <summary>Addresses on Linux interfaces (<c>linux-address</c>).</summary>
public sealed class LinuxAddressDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxAddress>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-address";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.AddressPrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxAddress value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxAddress value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxAddress value)
    {
        var (ip, len) = Ip4Prefix.ParseAddressAndLength(value.Address);
        nl.ReplaceAddress(IndexOf(nl, value.Interface), IPAddress.Parse(ip.ToString()), len, skipDuplicateDetection: true);
    }

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxAddress value)
    {
        var (ip, len) = Ip4Prefix.ParseAddressAndLength(value.Address);
        nl.DeleteAddress(IndexOf(nl, value.Interface), IPAddress.Parse(ip.ToString()), len);
    }

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxAddress value)
    {
        var index = FindIndex(nl, value.Interface);
        if (index is null)
        {
            return false;
        }

        var (ip, len) = Ip4Prefix.ParseAddressAndLength(value.Address);
        var want = IPAddress.Parse(ip.ToString());
        return nl.GetAddresses(index).Any(a => a.Address.Equals(want) && a.PrefixLength == len);
    }
}

/// <summary>Routes in Linux namespaces (<c>linux-route</c>).</summary>
public sealed class LinuxRouteDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxRoute>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-route";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.RoutePrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxRoute value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxRoute value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxRoute value) => nl.ReplaceRoute(ToNetlink(nl, value, IndexOf(nl, value.Interface)));

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxRoute value) => nl.DeleteRoute(ToNetlink(nl, value, IndexOf(nl, value.Interface)));

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxRoute value)
    {
        var index = FindIndex(nl, value.Interface);
        if (index is null)
        {
            return false;
        }

        var want = ToNetlink(nl, value, index.Value);
        return nl.GetRoutes().Any(r => r.Destination.Equals(want.Destination) && r.OutputInterface == index
            && Equals(r.Gateway, want.Gateway));
    }

    private static LinuxRouteMessage ToNetlink(RtNetlink nl, LinuxRoute value, int index)
    {
        var p = Ip4Prefix.Parse(value.Destination, "route destination");
        return new LinuxRouteMessage
        {
            Destination = new IPNetwork(IPAddress.Parse(p.Network.ToString()), p.Length),
            Gateway = value.Gateway.Length == 0 ? null : IPAddress.Parse(value.Gateway),
            OutputInterface = index,
            Scope = value.ScopeLink ? NetworkScope.Link : null,
        };
    }
}

/// <summary>Permanent neighbours (<c>linux-arp</c>).</summary>
public sealed class LinuxArpDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxArp>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-arp";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.ArpPrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxArp value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxArp value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxArp value) => nl.ReplaceNeighbour(new Neighbour
    {
        InterfaceIndex = IndexOf(nl, value.Interface),
        Address = IPAddress.Parse(value.Ip),
        MacAddress = LinkAddress.Parse(value.Mac),
        State = NeighbourState.Permanent,
    });

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxArp value) => nl.DeleteNeighbour(new Neighbour
    {
        InterfaceIndex = IndexOf(nl, value.Interface),
        Address = IPAddress.Parse(value.Ip),
    });

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxArp value)
    {
        var index = FindIndex(nl, value.Interface);
        if (index is null)
        {
            return false;
        }

        var ip = IPAddress.Parse(value.Ip);
        return nl.GetNeighbours(index).Any(n => n.Address.Equals(ip) && n.State.HasFlag(NeighbourState.Permanent)
            && n.MacAddress is not null && string.Equals(LinkAddress.Format(n.MacAddress), MacAddresses.Normalize(value.Mac), StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Links that must be up (<c>linux-link-up</c>); deleting the item leaves the link alone.</summary>
public sealed class LinuxLinkUpDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxLinkUp>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-link-up";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.LinkUpPrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxLinkUp value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxLinkUp value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxLinkUp value) => nl.SetLinkUp(value.Interface);

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxLinkUp value)
    {
    }

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxLinkUp value) => nl.FindLink(value.Interface)?.IsUp == true;
}

/// <summary>Formatting helpers.</summary>
internal static class LinuxFormat
{
    public static string Prefix(Ip4 ip, int len) => string.Create(CultureInfo.InvariantCulture, $"{ip}/{len}");
}
