using System.Collections.Frozen;
using System.Net;
using k8s.Models;

namespace Contiv.Lab.Dns;

/// <summary>
/// The cluster's DNS names at one moment, built from Services and Endpoints as kube-dns names them
/// (the Kubernetes DNS specification, A records only):
/// <c>&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c> → the ClusterIP, or for a headless Service the ready endpoint
/// addresses; <c>&lt;hostname&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c> → an endpoint address that has a hostname
/// (headless Services only); <c>a-b-c-d.&lt;ns&gt;.pod.&lt;domain&gt;</c> → a-b-c-d. Immutable: a change builds a new zone.
/// </summary>
internal sealed class ClusterDnsZone
{
    private readonly FrozenDictionary<string, IPAddress[]> _names;

    private ClusterDnsZone(string domain, FrozenDictionary<string, IPAddress[]> names)
    {
        Domain = domain;
        _names = names;
    }

    /// <summary>The cluster domain without trailing dot, lower case (<c>cluster.local</c>).</summary>
    public string Domain { get; }

    /// <summary>Number of names with addresses.</summary>
    public int Count => _names.Count;

    /// <summary>An empty zone (before the first list).</summary>
    public static ClusterDnsZone Empty(string domain) => new(Normalize(domain), FrozenDictionary<string, IPAddress[]>.Empty);

    /// <summary>Builds the zone of <paramref name="services"/> and their <paramref name="endpoints"/>.</summary>
    public static ClusterDnsZone Build(string domain, IEnumerable<V1Service> services, IEnumerable<V1Endpoints> endpoints)
    {
        domain = Normalize(domain);
        var byService = new Dictionary<string, V1Endpoints>(StringComparer.Ordinal);
        foreach (var ep in endpoints)
        {
            byService[$"{ep.Metadata.NamespaceProperty}/{ep.Metadata.Name}"] = ep;
        }

        var names = new Dictionary<string, List<IPAddress>>(StringComparer.Ordinal);
        foreach (var svc in services)
        {
            var ns = svc.Metadata.NamespaceProperty.ToLowerInvariant();
            var name = svc.Metadata.Name.ToLowerInvariant();
            var fqdn = $"{name}.{ns}.svc.{domain}";
            if (svc.Spec?.ClusterIP is { Length: > 0 } clusterIp && clusterIp != "None")
            {
                if (IPAddress.TryParse(clusterIp, out var ip))
                {
                    Add(names, fqdn, ip);
                }

                continue;
            }

            // Headless: the ready endpoints themselves, and each by its hostname.
            if (!byService.TryGetValue($"{svc.Metadata.NamespaceProperty}/{svc.Metadata.Name}", out var ep))
            {
                continue;
            }

            foreach (var subset in ep.Subsets ?? [])
            {
                foreach (var address in subset.Addresses ?? [])
                {
                    if (!IPAddress.TryParse(address.Ip, out var ip))
                    {
                        continue;
                    }

                    Add(names, fqdn, ip);
                    if (address.Hostname is { Length: > 0 } host)
                    {
                        Add(names, $"{host.ToLowerInvariant()}.{fqdn}", ip);
                    }
                }
            }
        }

        return new ClusterDnsZone(domain, names.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Distinct().ToArray(), StringComparer.Ordinal));
    }

    /// <summary>
    /// Looks a name up (absolute or not, any case). <see cref="DnsAnswer.OutsideZone"/> for names outside the
    /// cluster domain (the lab forwards nothing), <see cref="DnsAnswer.NoSuchName"/> for unknown names inside it.
    /// </summary>
    public DnsAnswer Lookup(string name)
    {
        name = Normalize(name);
        if (name != Domain && !name.EndsWith("." + Domain, StringComparison.Ordinal))
        {
            return DnsAnswer.OutsideZone;
        }

        if (_names.TryGetValue(name, out var addresses))
        {
            return new DnsAnswer(DnsAnswerKind.Found, addresses);
        }

        // a-b-c-d.<ns>.pod.<domain>: answered from the name itself, as kube-dns does.
        var labels = name[..^(Domain.Length + 1)].Split('.');
        if (labels.Length == 3 && labels[2] == "pod" && IPAddress.TryParse(labels[0].Replace('-', '.'), out var podIp)
            && podIp.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && labels[0].Count(c => c == '-') == 3)
        {
            return new DnsAnswer(DnsAnswerKind.Found, [podIp]);
        }

        // The zone apex and the names above Services exist without addresses (no NXDOMAIN, or resolvers
        // would conclude that nothing below them exists).
        if (name == Domain || labels is [_, "svc"] or ["svc"] or [_, "pod"] or ["pod"] || IsAncestorOfName(name))
        {
            return DnsAnswer.NoAddresses;
        }

        return DnsAnswer.NoSuchName;
    }

    private bool IsAncestorOfName(string name)
    {
        var suffix = "." + name;
        foreach (var key in _names.Keys)
        {
            if (key.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(Dictionary<string, List<IPAddress>> names, string name, IPAddress ip)
    {
        if (!names.TryGetValue(name, out var list))
        {
            names[name] = list = [];
        }

        list.Add(ip);
    }

    private static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();
}

/// <summary>What a lookup found.</summary>
internal enum DnsAnswerKind
{
    /// <summary>The name has A records.</summary>
    Found,

    /// <summary>The name exists in the zone but has no address (NOERROR, no answer).</summary>
    NoAddresses,

    /// <summary>No such name in the cluster domain (NXDOMAIN).</summary>
    NoSuchName,

    /// <summary>Not in the cluster domain: refused, nothing is forwarded.</summary>
    OutsideZone,
}

/// <summary>The outcome of a lookup: its kind and the IPv4 addresses when found.</summary>
internal readonly record struct DnsAnswer(DnsAnswerKind Kind, IReadOnlyList<IPAddress> Addresses)
{
    public static DnsAnswer OutsideZone => new(DnsAnswerKind.OutsideZone, []);

    public static DnsAnswer NoSuchName => new(DnsAnswerKind.NoSuchName, []);

    public static DnsAnswer NoAddresses => new(DnsAnswerKind.NoAddresses, []);
}
