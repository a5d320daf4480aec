using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Resources;

/// <summary>
/// The served resources: the built-in kinds plus the ones registered from CustomResourceDefinitions.
/// Readers get an immutable snapshot; writers replace it (copy on write).
/// </summary>
public sealed class ResourceCatalog
{
    private readonly object _writeGate = new();
    private volatile IReadOnlyList<ResourceType> _all;

    /// <summary>Creates a catalog holding the built-in kinds.</summary>
    public ResourceCatalog()
    {
        _all = BuiltIns();
    }

    /// <summary>Every served resource (all versions).</summary>
    public IReadOnlyList<ResourceType> All => _all;

    /// <summary>Changes whenever custom resources are added or removed (part of the OpenAPI hash).</summary>
    public int Generation { get; private set; }

    /// <summary>Finds the resource of a group version by plural name.</summary>
    public ResourceType? Find(string group, string version, string plural)
    {
        foreach (var t in _all)
        {
            if (t.Plural == plural && t.Version == version && t.Group == group)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>All versions of a stored resource.</summary>
    public IEnumerable<ResourceType> ByStoreKey(string storeKey) => _all.Where(t => t.StoreKey == storeKey);

    /// <summary>The group versions served, core first, in a stable order.</summary>
    public IReadOnlyList<(string Group, string Version)> GroupVersions()
        => _all.Select(t => (t.Group, t.Version)).Distinct().ToList();

    /// <summary>Replaces the custom resources defined by one CRD (none when <paramref name="types"/> is empty).</summary>
    internal void SetCustom(string storeKey, IReadOnlyList<ResourceType> types)
    {
        lock (_writeGate)
        {
            var next = _all.Where(t => !(t.IsCustom && t.StoreKey == storeKey)).Concat(types).ToList();
            _all = next;
            Generation++;
        }
    }

    private static string Or(string? s, string fallback) => string.IsNullOrEmpty(s) ? fallback : s;

    private static List<ResourceType> BuiltIns()
    {
        var podFields = new Dictionary<string, Func<JsonObject, string>>
        {
            ["spec.nodeName"] = o => Json.Str(o, "spec", "nodeName") ?? string.Empty,
            ["spec.host"] = o => Json.Str(o, "spec", "nodeName") ?? string.Empty,
            ["spec.restartPolicy"] = o => Json.Str(o, "spec", "restartPolicy") ?? string.Empty,
            ["spec.schedulerName"] = o => Json.Str(o, "spec", "schedulerName") ?? string.Empty,
            ["spec.serviceAccountName"] = o => Json.Str(o, "spec", "serviceAccountName") ?? string.Empty,
            ["spec.hostNetwork"] = o => Or(Json.Str(o, "spec", "hostNetwork"), "false"),
            ["status.phase"] = o => Json.Str(o, "status", "phase") ?? string.Empty,
            ["status.podIP"] = o => Json.Str(o, "status", "podIP") ?? string.Empty,
            ["status.nominatedNodeName"] = o => Json.Str(o, "status", "nominatedNodeName") ?? string.Empty,
        };
        var serviceFields = new Dictionary<string, Func<JsonObject, string>>
        {
            ["spec.clusterIP"] = o => Json.Str(o, "spec", "clusterIP") ?? string.Empty,
            ["spec.type"] = o => Json.Str(o, "spec", "type") ?? string.Empty,
        };
        var nodeFields = new Dictionary<string, Func<JsonObject, string>>
        {
            ["spec.unschedulable"] = o => Or(Json.Str(o, "spec", "unschedulable"), "false"),
        };
        var namespaceFields = new Dictionary<string, Func<JsonObject, string>>
        {
            ["status.phase"] = o => Json.Str(o, "status", "phase") ?? string.Empty,
        };
        var secretFields = new Dictionary<string, Func<JsonObject, string>>
        {
            ["type"] = o => Json.Str(o, "type") ?? string.Empty,
        };
        return
        [
            new() { Group = "", Version = "v1", Kind = "Namespace", Plural = "namespaces", Singular = "namespace", Namespaced = false, ShortNames = ["ns"], HasStatusSubresource = true, ReturnDeletedObject = true, SelectableFields = namespaceFields },
            new() { Group = "", Version = "v1", Kind = "Pod", Plural = "pods", Singular = "pod", Namespaced = true, ShortNames = ["po"], Categories = ["all"], HasStatusSubresource = true, ReturnDeletedObject = true, SelectableFields = podFields },
            new() { Group = "", Version = "v1", Kind = "Service", Plural = "services", Singular = "service", Namespaced = true, ShortNames = ["svc"], Categories = ["all"], HasStatusSubresource = true, ReturnDeletedObject = true, AllowCreateOnUpdate = true, SelectableFields = serviceFields },
            new() { Group = "", Version = "v1", Kind = "Endpoints", Plural = "endpoints", Singular = "endpoints", Namespaced = true, ShortNames = ["ep"], AllowCreateOnUpdate = true },
            new() { Group = "", Version = "v1", Kind = "Node", Plural = "nodes", Singular = "node", Namespaced = false, ShortNames = ["no"], HasStatusSubresource = true, SelectableFields = nodeFields },
            new() { Group = "", Version = "v1", Kind = "ConfigMap", Plural = "configmaps", Singular = "configmap", Namespaced = true, ShortNames = ["cm"] },
            new() { Group = "", Version = "v1", Kind = "Secret", Plural = "secrets", Singular = "secret", Namespaced = true, SelectableFields = secretFields },
            new() { Group = "", Version = "v1", Kind = "ServiceAccount", Plural = "serviceaccounts", Singular = "serviceaccount", Namespaced = true, ShortNames = ["sa"] },
            new() { Group = "", Version = "v1", Kind = "Event", Plural = "events", Singular = "event", Namespaced = true, ShortNames = ["ev"], SelectableFields = EventFields.All },
            new() { Group = "networking.k8s.io", Version = "v1", Kind = "NetworkPolicy", Plural = "networkpolicies", Singular = "networkpolicy", Namespaced = true, ShortNames = ["netpol"], HasGeneration = true },
            new() { Group = "discovery.k8s.io", Version = "v1", Kind = "EndpointSlice", Plural = "endpointslices", Singular = "endpointslice", Namespaced = true },
            new() { Group = "coordination.k8s.io", Version = "v1", Kind = "Lease", Plural = "leases", Singular = "lease", Namespaced = true, AllowCreateOnUpdate = true },
            new() { Group = "apiextensions.k8s.io", Version = "v1", Kind = "CustomResourceDefinition", Plural = "customresourcedefinitions", Singular = "customresourcedefinition", Namespaced = false, ShortNames = ["crd", "crds"], HasStatusSubresource = true, HasGeneration = true, ReturnDeletedObject = true },
            .. WorkloadResources.Types(),
            .. ClusterSetupResources.Types(),
        ];
    }
}
