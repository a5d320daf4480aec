using System.Net.Sockets;
using Contiv.Linux;
using Contiv.Stn.State;
using Microsoft.Extensions.Logging;

namespace Contiv.Stn.Linux;

/// <summary>
/// The netlink side of stealing a NIC and giving it back, in one network namespace: snapshot of
/// addresses and routes (IPv4 and IPv6), link down, removal; and the reverse with a consistency check
/// that the repair loop uses.
/// </summary>
internal sealed class NicTakeover(RtNetlink netlink, NetworkNamespace? ns, ILogger log)
{
    /// <summary>Attempts to find the link again after a driver re-bind (SPEC: 20 × 200 ms).</summary>
    public const int LinkWaitAttempts = 20;

    /// <summary>Pause between two of those attempts.</summary>
    public static readonly TimeSpan LinkWaitInterval = TimeSpan.FromMilliseconds(200);

    private string NamespaceLabel => ns?.DisplayName ?? "(own netns)";

    /// <summary>Records the link's configuration (driver, addresses and routes of every family) without changing anything.</summary>
    /// <exception cref="StnException">The link does not exist.</exception>
    public StolenInterface Snapshot(string name, bool dhcpEnabled)
    {
        var link = netlink.FindLink(name) ?? throw new StnException(StnError.NotFound, $"interface '{name}' does not exist in {NamespaceLabel}");
        LinkDriverInfo? driver = null;
        try
        {
            driver = LinkDriverInfo.Get(ns, name);
        }
        catch (NetlinkException e)
        {
            log.LogInformation("interface {Name}: no driver info ({Error})", name, e.Message);
        }

        // Snapshot before the link goes down: IPv6 addresses vanish with it (keep_addr_on_down=0).
        var addresses = netlink.GetAddresses(link.Index).Select(SavedAddress.From).ToList();
        var routes = new List<SavedRoute>();
        foreach (var family in (ReadOnlySpan<AddressFamily>)[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
        {
            routes.AddRange(netlink.GetRoutes(family).Where(r => r.OutputInterface == link.Index).Select(SavedRoute.From));
        }

        return new StolenInterface
        {
            Name = name,
            KernelDriver = driver?.Driver ?? string.Empty,
            PciAddress = IsPciAddress(driver?.BusInfo) ? driver!.BusInfo : string.Empty,
            Addresses = addresses,
            Routes = routes,
            DhcpEnabled = dhcpEnabled,
        };
    }

    /// <summary>Sets the link down and removes the routes and addresses of <paramref name="stolen"/> from it.</summary>
    /// <exception cref="StnException">The link does not exist any more.</exception>
    public void TakeDown(StolenInterface stolen)
    {
        var name = stolen.Name;
        var link = netlink.FindLink(name) ?? throw new StnException(StnError.NotFound, $"interface '{name}' does not exist in {NamespaceLabel}");
        netlink.SetLinkDown(link.Index);
        // Errors from here on are not fatal (SPEC §1.8): what is left is logged, the data is already saved.
        foreach (var r in stolen.Routes)
        {
            Try($"route del {r.Destination} dev {name}", () => netlink.DeleteRoute(r.ToRoute(link.Index)));
        }

        foreach (var a in stolen.Addresses)
        {
            Try($"address del {a} dev {name}", () => netlink.DeleteAddress(link.Index, a.Ip, a.PrefixLength));
        }
    }

    /// <summary>Waits for the link to exist (it reappears after a driver re-bind), sets it up, re-adds addresses and routes.</summary>
    /// <returns>What could not be restored (empty when complete).</returns>
    /// <exception cref="StnException">The link did not appear.</exception>
    public async Task<IReadOnlyList<string>> RestoreAsync(StolenInterface nic, CancellationToken ct)
    {
        Link? link = null;
        for (var i = 0; i < LinkWaitAttempts && link is null; i++)
        {
            link = netlink.FindLink(nic.Name);
            if (link is null)
            {
                await Task.Delay(LinkWaitInterval, ct).ConfigureAwait(false);
            }
        }

        if (link is null)
        {
            throw new StnException(StnError.Failed, $"interface '{nic.Name}' cannot be given back: it did not appear in {NamespaceLabel} within {LinkWaitAttempts * LinkWaitInterval.TotalMilliseconds} ms");
        }

        return Repair(nic, link.Index);
    }

    /// <summary>Compares the link with the saved state and adds what is missing; returns what is still wrong.</summary>
    public IReadOnlyList<string> Repair(StolenInterface nic)
    {
        var link = netlink.FindLink(nic.Name);
        return link is null ? [$"interface '{nic.Name}' does not exist in {NamespaceLabel}"] : Repair(nic, link.Index);
    }

    /// <summary>What differs between the link and the saved state, without changing anything.</summary>
    public IReadOnlyList<string> Differences(StolenInterface nic)
    {
        var link = netlink.FindLink(nic.Name);
        if (link is null)
        {
            return [$"interface '{nic.Name}' does not exist"];
        }

        var missing = new List<string>();
        if (!link.IsUp)
        {
            missing.Add($"interface '{nic.Name}' is down");
        }

        if (nic.DhcpEnabled)
        {
            return missing;
        }

        var present = netlink.GetAddresses(link.Index);
        foreach (var a in nic.Addresses)
        {
            if (!present.Any(p => p.Address.Equals(a.Ip) && p.PrefixLength == a.PrefixLength))
            {
                missing.Add($"address {a} missing on {nic.Name}");
            }
        }

        var routes = netlink.GetRoutes(AddressFamily.InterNetwork).Concat(netlink.GetRoutes(AddressFamily.InterNetworkV6))
            .Where(r => r.OutputInterface == link.Index).ToList();
        foreach (var r in nic.Routes)
        {
            if (!routes.Any(r.Matches))
            {
                missing.Add($"route {r.Destination}{(r.Gateway is null ? string.Empty : " via " + r.Gateway)} missing on {nic.Name}");
            }
        }

        return missing;
    }

    private List<string> Repair(StolenInterface nic, int index)
    {
        var errors = new List<string>();
        Collect(errors, $"link set {nic.Name} up", () => netlink.SetLinkUp(index));
        if (nic.DhcpEnabled)
        {
            // The DHCP client on the host gets the addresses and routes again itself.
            return errors;
        }

        foreach (var a in nic.Addresses)
        {
            Collect(errors, $"address add {a} dev {nic.Name}", () => netlink.AddAddress(index, a.Ip, a.PrefixLength, a.Scope, a.NoDad));
        }

        // On-link routes first: a route via a gateway needs the gateway's subnet to be reachable.
        foreach (var r in nic.Routes.OrderBy(r => r.Gateway is null ? 0 : 1))
        {
            Collect(errors, $"route add {r.Destination}{(r.Gateway is null ? string.Empty : " via " + r.Gateway)} dev {nic.Name}", () => netlink.AddRoute(r.ToRoute(index)));
        }

        return errors;
    }

    private static void Collect(List<string> errors, string what, Action action)
    {
        try
        {
            action();
        }
        catch (NetlinkException e) when (e.IsAlreadyExists)
        {
            // already there: restoring is idempotent
        }
        catch (NetlinkException e)
        {
            errors.Add($"{what}: {e.Message}");
        }
    }

    private void Try(string what, Action action)
    {
        try
        {
            action();
        }
        catch (NetlinkException e) when (e.IsNotFound)
        {
            // gone with the link or with its address (kernel routes)
        }
        catch (NetlinkException e)
        {
            log.LogWarning("steal: {What} failed: {Error}", what, e.Message);
        }
    }

    private static bool IsPciAddress(string? busInfo) =>
        busInfo is { Length: 12 } && busInfo[4] == ':' && busInfo[7] == ':' && busInfo[10] == '.';
}
