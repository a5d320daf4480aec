using System.Net.Sockets;
using Contiv.Cni.Protocol;
using Contiv.Linux;

namespace Contiv.Cni.Netns;

/// <summary>
/// Reads links, addresses and routes of a network namespace through Contiv.Linux's rtnetlink layer:
/// the socket is created by a short-lived thread inside the namespace, the dumps run on the caller's
/// thread. No reflection, no shelling out: AOT-safe.
/// </summary>
public static class NetnsInspector
{
    /// <summary>Takes a snapshot of the namespace at <paramref name="netnsPath"/>.</summary>
    /// <exception cref="CniException">Code 105 when the namespace cannot be entered or read.</exception>
    public static NetnsSnapshot Inspect(string netnsPath)
    {
        try
        {
            using var ns = NetworkNamespace.Open(netnsPath);
            using var rtnl = RtNetlink.Open(ns);
            var routes = new List<Route>(rtnl.GetRoutes(AddressFamily.InterNetwork, table: null));
            routes.AddRange(rtnl.GetRoutes(AddressFamily.InterNetworkV6, table: null));
            return new NetnsSnapshot(rtnl.GetLinks(), rtnl.GetAddresses(), routes);
        }
        catch (NetlinkException e)
        {
            throw new CniException(CniErrorCode.NetnsInspectionFailed, $"cannot read network namespace {netnsPath}: {e.Message}");
        }
    }
}
