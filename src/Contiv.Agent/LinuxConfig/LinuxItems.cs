namespace Contiv.Agent.LinuxConfig;

/// <summary>Scheduler keys and values of Linux items. <c>Netns</c> "" is this node's host network namespace.</summary>
internal static class LinuxKeys
{
    /// <summary>Prefix of addresses.</summary>
    public const string AddressPrefix = "linux/address/";

    /// <summary>Prefix of routes.</summary>
    public const string RoutePrefix = "linux/route/";

    /// <summary>Prefix of static neighbours.</summary>
    public const string ArpPrefix = "linux/arp/";

    /// <summary>Prefix of link-up items.</summary>
    public const string LinkUpPrefix = "linux/link-up/";

    /// <summary>Key of an address.</summary>
    public static string Address(LinuxAddress a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return $"{AddressPrefix}{Ns(a.Netns)}/{a.Interface}/{a.Address}";
    }

    /// <summary>Key of a route.</summary>
    public static string Route(LinuxRoute r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return $"{RoutePrefix}{Ns(r.Netns)}/{r.Destination}/via/{(r.Gateway.Length == 0 ? "-" : r.Gateway)}/dev/{r.Interface}";
    }

    /// <summary>Key of a static neighbour.</summary>
    public static string Arp(LinuxArp a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return $"{ArpPrefix}{Ns(a.Netns)}/{a.Interface}/{a.Ip}";
    }

    /// <summary>Key of a link-up item.</summary>
    public static string LinkUp(LinuxLinkUp l)
    {
        ArgumentNullException.ThrowIfNull(l);
        return $"{LinkUpPrefix}{Ns(l.Netns)}/{l.Interface}";
    }

    private static string Ns(string netns) => netns.Length == 0 ? "host" : netns.TrimStart('/');
}

/// <summary>An address on a Linux interface.</summary>
/// <param name="Netns">Namespace name or path ("" = host).</param>
/// <param name="Interface">Link name in that namespace.</param>
/// <param name="Address">"a.b.c.d/len".</param>
/// <param name="DependsOn">Comma-separated scheduler keys that must exist first (the item creating the link).</param>
internal sealed record LinuxAddress(string Netns, string Interface, string Address, string DependsOn);

/// <summary>A Linux route (main table).</summary>
/// <param name="Netns">Namespace ("" = host).</param>
/// <param name="Destination">"a.b.c.d/len" (0.0.0.0/0 = default).</param>
/// <param name="Gateway">Next hop ("" = directly connected).</param>
/// <param name="Interface">Outgoing link.</param>
/// <param name="ScopeLink">Link scope (host routes to the gateway).</param>
/// <param name="DependsOn">Comma-separated scheduler keys that must exist first.</param>
internal sealed record LinuxRoute(string Netns, string Destination, string Gateway, string Interface, bool ScopeLink, string DependsOn);

/// <summary>A permanent neighbour (static ARP) entry.</summary>
/// <param name="Netns">Namespace ("" = host).</param>
/// <param name="Interface">Link.</param>
/// <param name="Ip">Neighbour IP.</param>
/// <param name="Mac">Neighbour MAC.</param>
/// <param name="DependsOn">Comma-separated scheduler keys that must exist first.</param>
internal sealed record LinuxArp(string Netns, string Interface, string Ip, string Mac, string DependsOn);

/// <summary>A link that must be administratively up (e.g. a pod's <c>lo</c>).</summary>
/// <param name="Netns">Namespace ("" = host).</param>
/// <param name="Interface">Link.</param>
/// <param name="DependsOn">Comma-separated scheduler keys that must exist first.</param>
internal sealed record LinuxLinkUp(string Netns, string Interface, string DependsOn);
