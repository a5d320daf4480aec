using System.Collections.Frozen;
using System.Net;
using k8s.Models;

namespace Contiv.Lab.Dns;

/// <summary>
/// The cluster's DNS names at one moment, built from Services and Endpoints as kube-dns names them
/// (the Kubernetes DNS specification):
/// <c>&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c> A → the ClusterIP, or for a headless Service the ready endpoint
/// addresses; <c>&lt;hostname&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c> → an endpoint address that has a hostname
/// (headless Services only; endpoints without one are named by their dashed address, <c>10-1-2-6.&lt;svc&gt;…</c>);
/// <c>a-b-c-d.&lt;ns&gt;.pod.&lt;domain&gt;</c> → a-b-c-d; SRV <c>_&lt;port&gt;._&lt;proto&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c>
/// for every named port (the Service name and port, or per ready endpoint of a headless Service its name and the
/// endpoint port); CNAME for ExternalName Services; PTR <c>d.c.b.a.in-addr.arpa</c> for ClusterIPs (the Service name)
/// and for headless endpoints (their hostname or dashed name). Immutable: a change builds a new zone.
/// </summary>
internal sealed class ClusterDnsZone
{
    private readonly FrozenDictionary<string, IPAddress[]> _names;
    private readonly FrozenDictionary<string, string> _cnames;
    private readonly FrozenDictionary<string, SrvTarget[]> _srv;
    private readonly FrozenDictionary<string, string[]> _ptr;

    private ClusterDnsZone(string domain, FrozenDictionary<string, IPAddress[]> names, FrozenDictionary<string, string>? cnames = null,
        FrozenDictionary<string, SrvTarget[]>? srv = null, FrozenDictionary<string, string[]>? ptr = null)
    {
        Domain = domain;
        _names = names;
        _cnames = cnames ?? FrozenDictionary<string, string>.Empty;
        _srv = srv ?? FrozenDictionary<string, SrvTarget[]>.Empty;
        _ptr = ptr ?? FrozenDictionary<string, string[]>.Empty;
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
        var cnames = new Dictionary<string, string>(StringComparer.Ordinal);
        var srv = new Dictionary<string, List<SrvTarget>>(StringComparer.Ordinal);
        var ptr = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var svc in services)
        {
            var ns = svc.Metadata.NamespaceProperty.ToLowerInvariant();
            var name = svc.Metadata.Name.ToLowerInvariant();
            var fqdn = $"{name}.{ns}.svc.{domain}";
            if (svc.Spec?.Type == "ExternalName")
            {
                if (svc.Spec.ExternalName is { Length: > 0 } external)
                {
                    cnames[fqdn] = Normalize(external);
                }

                continue;
            }

            if (svc.Spec?.ClusterIP is { Length: > 0 } clusterIp && clusterIp != "None")
            {
                if (IPAddress.TryParse(clusterIp, out var ip))
                {
                    Add(names, fqdn, ip);
                    Add(ptr, ReverseName(ip), fqdn);
                    foreach (var port in svc.Spec.Ports ?? [])
                    {
                        if (port.Name is { Length: > 0 } portName)
                        {
                            Add(srv, $"_{portName.ToLowerInvariant()}._{(port.Protocol ?? "TCP").ToLowerInvariant()}.{fqdn}", new SrvTarget((ushort)port.Port, fqdn));
                        }
                    }
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
                    var own = address.Hostname is { Length: > 0 } host ? $"{host.ToLowerInvariant()}.{fqdn}" : $"{address.Ip.Replace('.', '-')}.{fqdn}";
                    Add(names, own, ip);
                    Add(ptr, ReverseName(ip), own);
                    foreach (var port in subset.Ports ?? [])
                    {
                        if (port.Name is { Length: > 0 } portName)
                        {
                            Add(srv, $"_{portName.ToLowerInvariant()}._{(port.Protocol ?? "TCP").ToLowerInvariant()}.{fqdn}", new SrvTarget((ushort)port.Port, own));
                        }
                    }
                }
            }
        }

        return new ClusterDnsZone(
            domain,
            names.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Distinct().ToArray(), StringComparer.Ordinal),
            cnames.ToFrozenDictionary(StringComparer.Ordinal),
            srv.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Distinct().ToArray(), StringComparer.Ordinal),
            ptr.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Distinct().ToArray(), StringComparer.Ordinal));
    }

    /// <summary>The <c>in-addr.arpa</c> name of an IPv4 address.</summary>
    public static string ReverseName(IPAddress ip) => string.Join('.', ip.GetAddressBytes().Reverse()) + ".in-addr.arpa";

    /// <summary>
    /// Looks a name up (absolute or not, any case). <see cref="DnsAnswer.OutsideZone"/> for names outside the
    /// cluster domain (the lab forwards nothing), <see cref="DnsAnswer.NoSuchName"/> for unknown names inside it.
    /// </summary>
    public DnsAnswer Lookup(string name)
    {
        name = Normalize(name);
        if (_ptr.TryGetValue(name, out var pointers))
        {
            return new DnsAnswer(DnsAnswerKind.Found, [], Ptr: pointers);
        }

        if (name != Domain && !name.EndsWith("." + Domain, StringComparison.Ordinal))
        {
            return DnsAnswer.OutsideZone;
        }

        if (_cnames.TryGetValue(name, out var cname))
        {
            return new DnsAnswer(DnsAnswerKind.Found, [], Cname: cname);
        }

        var hasAddresses = _names.TryGetValue(name, out var addresses);
        if (_srv.TryGetValue(name, out var services))
        {
            return new DnsAnswer(DnsAnswerKind.Found, addresses ?? [], Srv: services);
        }

        if (hasAddresses)
        {
            return new DnsAnswer(DnsAnswerKind.Found, addresses!);
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
        return _names.Keys.Concat(_srv.Keys).Concat(_cnames.Keys).Any(key => key.EndsWith(suffix, StringComparison.Ordinal));
    }

    private static void Add<T>(Dictionary<string, List<T>> map, string name, T value)
    {
        if (!map.TryGetValue(name, out var list))
        {
            map[name] = list = [];
        }

        list.Add(value);
    }

    private static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();
}

/// <summary>What a lookup found.</summary>
internal enum DnsAnswerKind
{
    /// <summary>The name has records (A, SRV, CNAME or PTR).</summary>
    Found,

    /// <summary>The name exists in the zone but has no address (NOERROR, no answer).</summary>
    NoAddresses,

    /// <summary>No such name in the cluster domain (NXDOMAIN).</summary>
    NoSuchName,

    /// <summary>Not in the cluster domain: refused, nothing is forwarded.</summary>
    OutsideZone,
}

/// <summary>One SRV answer: the port and the target name.</summary>
internal readonly record struct SrvTarget(ushort Port, string Target);

/// <summary>The outcome of a lookup: its kind and, when found, the IPv4 addresses, the CNAME, SRV or PTR targets.</summary>
internal readonly record struct DnsAnswer(DnsAnswerKind Kind, IReadOnlyList<IPAddress> Addresses, string? Cname = null,
    IReadOnlyList<SrvTarget>? Srv = null, IReadOnlyList<string>? Ptr = null)
{
    public static DnsAnswer OutsideZone => new(DnsAnswerKind.OutsideZone, []);

    public static DnsAnswer NoSuchName => new(DnsAnswerKind.NoSuchName, []);

    public static DnsAnswer NoAddresses => new(DnsAnswerKind.NoAddresses, []);
}
