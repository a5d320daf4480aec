using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Contiv.Linux.Interop;
using Contiv.Linux.Netlink;

namespace Contiv.Linux;

/// <summary>Routes.</summary>
public sealed partial class RtNetlink
{
    /// <summary>Adds a route (<c>ip route add</c>); fails with EEXIST when an equal route exists.</summary>
    public void AddRoute(Route route) => ChangeRoute("route add", Nl.RTM_NEWROUTE, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, route);

    /// <summary>Adds the route or replaces the one with the same destination/table/metric (<c>ip route replace</c>): idempotent.</summary>
    public void ReplaceRoute(Route route) => ChangeRoute("route replace", Nl.RTM_NEWROUTE, Nl.NLM_F_CREATE | Nl.NLM_F_REPLACE, route);

    /// <summary>Deletes a route; fields left null match anything. Fails with <see cref="NetlinkException.IsNotFound"/> (ESRCH) when there is none.</summary>
    public void DeleteRoute(Route route) => ChangeRoute("route del", Nl.RTM_DELROUTE, 0, route);

    /// <summary>Routes of one family in one table (main by default; null = every table). Cached clones are skipped.</summary>
    public IReadOnlyList<Route> GetRoutes(AddressFamily family = AddressFamily.InterNetwork, int? table = RouteTables.Main)
    {
        lock (_gate)
        {
            var result = new List<Route>();
            _writer.Begin(Nl.RTM_GETROUTE, Nl.NLM_F_DUMP).Write(new RtMsg { Family = FamilyByte(family) });
            Dump("route list", family.ToString(), (type, payload) =>
            {
                if (type == Nl.RTM_NEWROUTE)
                {
                    var r = ParseRoute(payload);
                    if (r is not null && (table is null || r.Table == table))
                    {
                        result.Add(r);
                    }
                }
            }, result.Clear);
            return result;
        }
    }

    private void ChangeRoute(string operation, ushort type, ushort flags, Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var family = route.Family;
        if (route.Gateway is not null && route.Gateway.AddressFamily != family)
        {
            throw new ArgumentException($"route {route}: gateway family {route.Gateway.AddressFamily} differs from destination family {family}", nameof(route));
        }

        var deleting = type == Nl.RTM_DELROUTE;
        var scope = route.Scope
            ?? (deleting ? NetworkScope.Nowhere
                : route.Type is RouteType.Local ? NetworkScope.Host
                : route.Gateway is null && route.Type is RouteType.Unicast ? NetworkScope.Link
                : NetworkScope.Global);
        lock (_gate)
        {
            var w = Begin(type, flags);
            w.Write(new RtMsg
            {
                Family = FamilyByte(family),
                DstLength = (byte)route.Destination.PrefixLength,
                Table = route.Table < 256 ? (byte)route.Table : Nl.RT_TABLE_UNSPEC,
                Protocol = deleting ? (byte)0 : route.Protocol,
                Scope = (byte)scope,
                Type = (byte)route.Type,
            });
            w.AttributeU32(Nl.RTA_TABLE, (uint)route.Table);
            if (route.Destination.PrefixLength > 0)
            {
                w.AttributeAddress(Nl.RTA_DST, route.Destination.BaseAddress);
            }

            if (route.Gateway is not null)
            {
                w.AttributeAddress(Nl.RTA_GATEWAY, route.Gateway);
            }

            if (route.OutputInterface is int oif)
            {
                w.AttributeU32(Nl.RTA_OIF, (uint)oif);
            }

            if (route.Metric is int metric)
            {
                w.AttributeU32(Nl.RTA_PRIORITY, (uint)metric);
            }

            if (route.PreferredSource is not null)
            {
                w.AttributeAddress(Nl.RTA_PREFSRC, route.PreferredSource);
            }

            Execute(operation, () => route.Describe(route.OutputInterface is int i ? LinkLabel(i) : null));
        }
    }

    private static Route? ParseRoute(ReadOnlySpan<byte> payload)
    {
        var header = MemoryMarshal.Read<RtMsg>(payload);
        if ((header.Flags & Nl.RTM_F_CLONED) != 0 || header.Family is not (Libc.AF_INET or Libc.AF_INET6))
        {
            return null;
        }

        IPAddress? dst = null, gateway = null, prefSrc = null;
        int? oif = null, metric = null;
        int table = header.Table;
        var reader = new AttributeReader(payload[12..]);
        while (reader.Next(out var type, out var value))
        {
            switch (type)
            {
                case Nl.RTA_DST:
                    dst = AttributeValue.Address(value);
                    break;
                case Nl.RTA_GATEWAY:
                    gateway = AttributeValue.Address(value);
                    break;
                case Nl.RTA_OIF:
                    oif = (int)AttributeValue.U32(value);
                    break;
                case Nl.RTA_PRIORITY:
                    metric = (int)AttributeValue.U32(value);
                    break;
                case Nl.RTA_PREFSRC:
                    prefSrc = AttributeValue.Address(value);
                    break;
                case Nl.RTA_TABLE:
                    table = (int)AttributeValue.U32(value);
                    break;
                default:
                    break;
            }
        }

        dst ??= header.Family == Libc.AF_INET6 ? IPAddress.IPv6Any : IPAddress.Any;
        return new Route
        {
            Destination = new IPNetwork(dst, header.DstLength),
            Gateway = gateway,
            OutputInterface = oif,
            Scope = (NetworkScope)header.Scope,
            Table = table,
            Metric = metric,
            PreferredSource = prefSrc,
            Type = (RouteType)header.Type,
            Protocol = header.Protocol,
        };
    }
}
