using Contiv.Agent.LinuxConfig;

namespace Contiv.Agent.Rest;

/// <summary>
/// The <c>linux-interface</c> entry of <c>/scheduler/dump</c> (SPEC §1.4 polls it): the agent keeps
/// Linux addresses as separate <c>linux-address</c> items, so this view groups them by namespace and
/// interface into vpp-agent-like interface records <c>{name, host_if_name, namespace, ip_addresses}</c>.
/// </summary>
internal static class LinuxInterfaceView
{
    /// <summary>The descriptor name the view answers to.</summary>
    public const string Name = "linux-interface";

    /// <summary>The descriptor whose items the view groups.</summary>
    public const string Source = "linux-address";

    /// <summary>Prefix of the view's keys.</summary>
    public const string KeyPrefix = "linux/interface/";

    /// <summary>Groups address items (key → <see cref="LinuxAddress"/>) into interface records keyed <c>linux/interface/{netns}/{name}</c>.</summary>
    public static IReadOnlyDictionary<string, object> From(IReadOnlyDictionary<string, object> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var byInterface = new SortedDictionary<string, LinuxInterfaceRecord>(StringComparer.Ordinal);
        foreach (var value in addresses.Values)
        {
            if (value is not LinuxAddress a)
            {
                continue;
            }

            var ns = a.Netns.Length == 0 ? "host" : a.Netns.TrimStart('/');
            var key = $"{KeyPrefix}{ns}/{a.Interface}";
            if (!byInterface.TryGetValue(key, out var record))
            {
                record = new LinuxInterfaceRecord(a.Interface, a.Interface, ns, []);
                byInterface[key] = record;
            }

            record.Ip_addresses.Add(a.Address);
        }

        return byInterface.ToDictionary(kv => kv.Key, kv => (object)kv.Value, StringComparer.Ordinal);
    }
}

/// <summary>One Linux interface of the <c>linux-interface</c> view (field names as vpp-agent's protobuf-JSON).</summary>
/// <param name="Name">Logical name (the link name).</param>
/// <param name="Host_if_name">Link name in its namespace.</param>
/// <param name="Namespace">"host" for the node's host namespace, else the namespace name or path.</param>
/// <param name="Ip_addresses">"a.b.c.d/len" addresses the agent configures on it.</param>
#pragma warning disable CA1707 // protobuf-JSON field names
internal sealed record LinuxInterfaceRecord(string Name, string Host_if_name, string Namespace, List<string> Ip_addresses);
#pragma warning restore CA1707
