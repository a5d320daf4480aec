using Contiv.Model.Ksr;
using k8s.Models;

namespace Contiv.Ksr.Conversion;

/// <summary>
/// Kubernetes Endpoints, or the EndpointSlices of one service, → KSR <c>endpoints.Endpoints</c>
/// record (SPEC §1.3).
/// </summary>
internal static class EndpointsConversion
{
    /// <summary>Label that ties an EndpointSlice to its service.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>Endpoints objects of the control plane's leader locks, never reflected (SPEC §1.3).</summary>
    public static readonly IReadOnlySet<string> SkippedNames = new HashSet<string>(StringComparer.Ordinal) { "kube-controller-manager", "kube-scheduler" };

    /// <summary>Converts an Endpoints object: subsets with ready and not-ready addresses and ports.</summary>
    /// <param name="endpoints">The Kubernetes endpoints.</param>
    /// <returns>The record.</returns>
    /// <exception cref="ConversionException">No name or namespace.</exception>
    public static Endpoints ToProto(V1Endpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var result = new Endpoints
        {
            Name = Metadata.Name(endpoints.Metadata, "endpoints"),
            Namespace = Metadata.Namespace(endpoints.Metadata, "endpoints"),
        };

        foreach (var subset in endpoints.Subsets ?? [])
        {
            var s = new EndpointSubset();
            foreach (var a in subset.Addresses ?? [])
            {
                s.Addresses.Add(Address(a.Ip, a.Hostname, a.NodeName, a.TargetRef));
            }

            foreach (var a in subset.NotReadyAddresses ?? [])
            {
                s.NotReadyAddresses.Add(Address(a.Ip, a.Hostname, a.NodeName, a.TargetRef));
            }

            foreach (var p in subset.Ports ?? [])
            {
                s.Ports.Add(new EndpointSubset.Types.EndpointPort { Name = p.Name ?? string.Empty, Port = p.Port, Protocol = p.Protocol ?? "TCP" });
            }

            result.EndpointSubsets.Add(s);
        }

        return result;
    }

    /// <summary>The service an EndpointSlice belongs to (namespace, name), or null when it has no service label.</summary>
    /// <param name="slice">The slice.</param>
    public static (string Namespace, string Name)? ServiceOf(V1EndpointSlice slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (slice.Metadata?.Labels is { } labels
            && labels.TryGetValue(ServiceNameLabel, out var service)
            && !string.IsNullOrEmpty(service)
            && slice.Metadata.NamespaceProperty is { Length: > 0 } ns)
        {
            return (ns, service);
        }

        return null;
    }

    /// <summary>
    /// Merges the EndpointSlices of one service into the Endpoints record the Endpoints API would
    /// have given: one subset per distinct port set, an endpoint whose <c>conditions.ready</c> is
    /// false among the not-ready addresses (absent counts as ready), FQDN slices left out,
    /// addresses ordered by IP and ports by name so the record does not depend on slice order.
    /// </summary>
    /// <param name="ns">The service's namespace.</param>
    /// <param name="name">The service's name.</param>
    /// <param name="slices">Every slice labelled with this service.</param>
    /// <returns>The record.</returns>
    public static Endpoints FromSlices(string ns, string name, IEnumerable<V1EndpointSlice> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        var result = new Endpoints { Name = name, Namespace = ns };

        // Port set (canonical text) → subset under construction; ordered for a stable record.
        var subsets = new SortedDictionary<string, (List<EndpointSubset.Types.EndpointPort> Ports, List<EndpointSubset.Types.EndpointAddress> Ready, List<EndpointSubset.Types.EndpointAddress> NotReady)>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            if (string.Equals(slice.AddressType, "FQDN", StringComparison.Ordinal))
            {
                continue;
            }

            var ports = (slice.Ports ?? [])
                .Select(p => new EndpointSubset.Types.EndpointPort { Name = p.Name ?? string.Empty, Port = p.Port ?? 0, Protocol = p.Protocol ?? "TCP" })
                .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Port).ThenBy(p => p.Protocol, StringComparer.Ordinal)
                .ToList();
            var signature = string.Join(';', ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}"));
            if (!subsets.TryGetValue(signature, out var subset))
            {
                subset = (ports, [], []);
                subsets.Add(signature, subset);
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                var ready = endpoint.Conditions?.Ready ?? true;
                foreach (var ip in endpoint.Addresses ?? [])
                {
                    var address = Address(ip, endpoint.Hostname, endpoint.NodeName, endpoint.TargetRef);
                    (ready ? subset.Ready : subset.NotReady).Add(address);
                }
            }
        }

        foreach (var (_, (ports, ready, notReady)) in subsets)
        {
            if (ready.Count == 0 && notReady.Count == 0)
            {
                continue;
            }

            var s = new EndpointSubset();
            s.Addresses.AddRange(ready.OrderBy(a => a.Ip, StringComparer.Ordinal));
            s.NotReadyAddresses.AddRange(notReady.OrderBy(a => a.Ip, StringComparer.Ordinal));
            s.Ports.AddRange(ports);
            result.EndpointSubsets.Add(s);
        }

        return result;
    }

    private static EndpointSubset.Types.EndpointAddress Address(string? ip, string? hostname, string? nodeName, V1ObjectReference? targetRef)
    {
        var address = new EndpointSubset.Types.EndpointAddress
        {
            Ip = ip ?? string.Empty,
            HostName = hostname ?? string.Empty,
            NodeName = nodeName ?? string.Empty,
        };
        if (targetRef is not null)
        {
            address.TargetRef = new ObjectReference
            {
                Kind = targetRef.Kind ?? string.Empty,
                Namespace = targetRef.NamespaceProperty ?? string.Empty,
                Name = targetRef.Name ?? string.Empty,
                Uid = targetRef.Uid ?? string.Empty,
                ApiVersion = targetRef.ApiVersion ?? string.Empty,
                ResourceVersion = targetRef.ResourceVersion ?? string.Empty,
            };
        }

        return address;
    }
}
