using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;
using Contiv.ApiServer.Storage;

namespace Contiv.ApiServer.Registry;

/// <summary>Per-kind rules: defaults, status resets, validation, Service allocation and CRD registration.</summary>
public sealed partial class ResourceRegistry
{
    private const string CrdStoreKey = "customresourcedefinitions.apiextensions.k8s.io";

    private ResourceType NamespaceType => Catalog.Find(string.Empty, "v1", "namespaces")!;

    private void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        switch (type.StoreKey)
        {
            case "namespaces":
                var labels = Json.Obj(obj, "metadata", "labels");
                labels["kubernetes.io/metadata.name"] = Json.Str(obj, "metadata", "name");
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case "pods":
                DefaultPod(obj);
                ValidatePod(obj);
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
                break;
            case "services":
                DefaultService(obj);
                AllocateService(obj, null, dryRun);
                obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case CrdStoreKey:
                obj["status"] = CrdStatus(ValidateCrd(obj));
                break;
            case "secrets":
                NormalizeSecret(obj);
                break;
            default:
                if (type.IsCustom && type.HasStatusSubresource)
                {
                    obj.Remove("status");
                }

                break;
        }
    }

    private void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        switch (type.StoreKey)
        {
            case "namespaces":
                Json.Obj(next, "metadata", "labels")["kubernetes.io/metadata.name"] = Json.Str(next, "metadata", "name");
                break;
            case "pods":
                DefaultPod(next);
                ValidatePod(next);
                break;
            case "services":
                DefaultService(next);
                AllocateService(next, old, dryRun);
                break;
            case CrdStoreKey:
                var spec = ValidateCrd(next);
                var oldGroup = Json.Str(old, "spec", "group");
                if (oldGroup != Json.Str(spec, "group"))
                {
                    throw ApiException.Invalid(type.Kind, Json.Str(next, "metadata", "name")!, "spec.group", "FieldValueInvalid", "Invalid value: field is immutable", type.Group);
                }

                next["status"] = CrdStatus(spec);
                break;
            case "secrets":
                NormalizeSecret(next);
                break;
            default:
                break;
        }
    }

    // stringData is write-only: merged into data (base64), like the real registry.
    private static void NormalizeSecret(JsonObject secret)
    {
        secret["type"] ??= "Opaque";
        if (secret["stringData"] is JsonObject stringData)
        {
            var data = Json.Obj(secret, "data");
            foreach (var (k, v) in stringData)
            {
                data[k] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Json.AsString(v) ?? string.Empty));
            }
        }

        secret.Remove("stringData");
    }

    private void AfterCommit(ResourceType type, JsonObject stored, JsonObject? old)
    {
        if (type.StoreKey == CrdStoreKey)
        {
            RegisterCrd(stored);
        }
    }

    private void AfterRemove(ResourceType type, JsonObject removed)
    {
        switch (type.StoreKey)
        {
            case "services":
                ReleaseService(removed);
                break;
            case CrdStoreKey:
                var spec = Json.At(removed, "spec");
                var storeKey = $"{Json.Str(spec, "names", "plural")}.{Json.Str(spec, "group")}";
                var crType = Catalog.ByStoreKey(storeKey).FirstOrDefault();
                if (crType is not null)
                {
                    foreach (var cr in AllOf(storeKey).ToList())
                    {
                        RemoveLocked(crType, (JsonObject)cr.DeepClone(), cr);
                    }
                }

                Catalog.SetCustom(storeKey, []);
                break;
            default:
                break;
        }
    }

    // ---------------------------------------------------------------- pods

    private static void DefaultPod(JsonObject pod)
    {
        var spec = Json.Obj(pod, "spec");
        spec["restartPolicy"] ??= "Always";
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["schedulerName"] ??= "default-scheduler";
        spec["securityContext"] ??= new JsonObject();
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var c in spec[list] as JsonArray ?? [])
            {
                if (c is not JsonObject container)
                {
                    continue;
                }

                if (container["imagePullPolicy"] is null)
                {
                    var image = Json.Str(container, "image") ?? string.Empty;
                    var lastSegment = image[(image.LastIndexOf('/') + 1)..];
                    var tag = lastSegment.Contains(':', StringComparison.Ordinal) ? lastSegment[(lastSegment.IndexOf(':', StringComparison.Ordinal) + 1)..] : null;
                    container["imagePullPolicy"] = tag is null or "latest" && !image.Contains('@', StringComparison.Ordinal) ? "Always" : "IfNotPresent";
                }

                container["terminationMessagePath"] ??= "/dev/termination-log";
                container["terminationMessagePolicy"] ??= "File";
                container["resources"] ??= new JsonObject();
                foreach (var p in container["ports"] as JsonArray ?? [])
                {
                    if (p is JsonObject port)
                    {
                        port["protocol"] ??= "TCP";
                    }
                }
            }
        }
    }

    private static void ValidatePod(JsonObject pod)
    {
        var name = Json.Str(pod, "metadata", "name") ?? string.Empty;
        if (Json.At(pod, "spec", "containers") is not JsonArray { Count: > 0 } containers)
        {
            throw ApiException.Invalid("Pod", name, "spec.containers", "FieldValueRequired", "Required value");
        }

        for (var i = 0; i < containers.Count; i++)
        {
            if (string.IsNullOrEmpty(Json.Str(containers[i], "name")))
            {
                throw ApiException.Invalid("Pod", name, $"spec.containers[{i}].name", "FieldValueRequired", "Required value");
            }

            if (string.IsNullOrEmpty(Json.Str(containers[i], "image")))
            {
                throw ApiException.Invalid("Pod", name, $"spec.containers[{i}].image", "FieldValueRequired", "Required value");
            }
        }
    }

    private static string QosClass(JsonObject pod)
    {
        var any = false;
        foreach (var c in Json.At(pod, "spec", "containers") as JsonArray ?? [])
        {
            if (Json.At(c, "resources", "requests") is JsonObject { Count: > 0 } || Json.At(c, "resources", "limits") is JsonObject { Count: > 0 })
            {
                any = true;
            }
        }

        return any ? "Burstable" : "BestEffort";
    }

    // ---------------------------------------------------------------- services

    private static void DefaultService(JsonObject svc)
    {
        var spec = Json.Obj(svc, "spec");
        spec["type"] ??= "ClusterIP";
        var type = Json.Str(spec, "type");
        if (type == "ExternalName")
        {
            return;
        }

        spec["sessionAffinity"] ??= "None";
        if (Json.Str(spec, "sessionAffinity") == "ClientIP")
        {
            Json.Obj(spec, "sessionAffinityConfig", "clientIP")["timeoutSeconds"] ??= 10800;
        }

        spec["internalTrafficPolicy"] ??= "Cluster";
        if (type is "NodePort" or "LoadBalancer")
        {
            spec["externalTrafficPolicy"] ??= "Cluster";
        }

        foreach (var p in spec["ports"] as JsonArray ?? [])
        {
            if (p is JsonObject port)
            {
                port["protocol"] ??= "TCP";
                port["targetPort"] ??= port["port"]?.DeepClone();
            }
        }
    }

    private void AllocateService(JsonObject svc, JsonObject? old, bool dryRun)
    {
        var name = Json.Str(svc, "metadata", "name") ?? string.Empty;
        var spec = Json.Obj(svc, "spec");
        var type = Json.Str(spec, "type");
        var oldSpec = old?["spec"] as JsonObject;
        var oldIp = Json.Str(oldSpec, "clusterIP");
        var ip = Json.Str(spec, "clusterIP");
        var reserved = new List<string>();
        var reservedPorts = new List<(int, string)>();
        try
        {
            if (type == "ExternalName")
            {
                spec.Remove("clusterIP");
                spec.Remove("clusterIPs");
            }
            else if (old is not null && !string.IsNullOrEmpty(oldIp))
            {
                if (string.IsNullOrEmpty(ip))
                {
                    spec["clusterIP"] = oldIp;
                }
                else if (ip != oldIp)
                {
                    throw ApiException.Invalid("Service", name, "spec.clusterIPs[0]", "FieldValueInvalid", $"Invalid value: []string{{\"{ip}\"}}: may not change once set");
                }

                spec["clusterIPs"] = new JsonArray(Json.Str(spec, "clusterIP"));
            }
            else
            {
                if (string.IsNullOrEmpty(ip))
                {
                    ip = dryRun ? string.Empty : _allocator.AllocateIp();
                    if (!dryRun)
                    {
                        reserved.Add(ip);
                    }
                }
                else if (ip != "None")
                {
                    if (dryRun)
                    {
                        // Checked, not kept.
                    }
                    else if (_allocator.Reserve(ip) is { } error)
                    {
                        throw ApiException.Invalid("Service", name, "spec.clusterIPs", "FieldValueInvalid", $"Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: {error}");
                    }
                    else
                    {
                        reserved.Add(ip);
                    }
                }

                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
            }

            if (type != "ExternalName")
            {
                spec["ipFamilies"] ??= new JsonArray("IPv4");
                spec["ipFamilyPolicy"] ??= "SingleStack";
            }

            var wantsNodePorts = type is "NodePort" || (type is "LoadBalancer" && Json.Str(spec, "allocateLoadBalancerNodePorts") != "false");
            var oldPorts = (oldSpec?["ports"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(p => Json.Long(p["nodePort"]) is > 0)
                .ToList();
            var kept = new HashSet<(int, string)>();
            var ports = spec["ports"] as JsonArray ?? [];
            for (var i = 0; i < ports.Count; i++)
            {
                if (ports[i] is not JsonObject port)
                {
                    continue;
                }

                var protocol = Json.Str(port, "protocol") ?? "TCP";
                if (!wantsNodePorts)
                {
                    port.Remove("nodePort");
                    continue;
                }

                var nodePort = (int)(Json.Long(port["nodePort"]) ?? 0);
                if (nodePort == 0)
                {
                    var previous = oldPorts.FirstOrDefault(p => Json.Long(p["port"]) == Json.Long(port["port"]) && (Json.Str(p, "protocol") ?? "TCP") == protocol);
                    nodePort = previous is null ? 0 : (int)Json.Long(previous["nodePort"])!.Value;
                }

                var owned = oldPorts.Any(p => Json.Long(p["nodePort"]) == nodePort && (Json.Str(p, "protocol") ?? "TCP") == protocol);
                if (nodePort == 0)
                {
                    nodePort = dryRun ? 0 : _allocator.AllocatePort(protocol);
                    reservedPorts.Add((nodePort, protocol));
                }
                else if (!owned && !dryRun)
                {
                    if (_allocator.ReservePort(nodePort, protocol) is { } error)
                    {
                        throw ApiException.Invalid("Service", name, $"spec.ports[{i}].nodePort", "FieldValueInvalid", $"Invalid value: {nodePort}: {error}");
                    }

                    reservedPorts.Add((nodePort, protocol));
                }

                kept.Add((nodePort, protocol));
                port["nodePort"] = nodePort;
            }

            if (!dryRun && old is not null)
            {
                foreach (var p in oldPorts)
                {
                    var key = ((int)Json.Long(p["nodePort"])!.Value, Json.Str(p, "protocol") ?? "TCP");
                    if (!kept.Contains(key))
                    {
                        _allocator.ReleasePort(key.Item1, key.Item2);
                    }
                }
            }
        }
        catch
        {
            foreach (var r in reserved)
            {
                _allocator.ReleaseIp(r);
            }

            foreach (var (port, protocol) in reservedPorts)
            {
                _allocator.ReleasePort(port, protocol);
            }

            throw;
        }
    }

    private void ReleaseService(JsonObject svc)
    {
        var ip = Json.Str(svc, "spec", "clusterIP");
        if (!string.IsNullOrEmpty(ip) && ip != "None")
        {
            _allocator.ReleaseIp(ip);
        }

        foreach (var p in Json.At(svc, "spec", "ports") as JsonArray ?? [])
        {
            if (Json.Long(Json.At(p, "nodePort")) is long np && np > 0)
            {
                _allocator.ReleasePort((int)np, Json.Str(p, "protocol") ?? "TCP");
            }
        }
    }

    // ---------------------------------------------------------------- CRDs

    private static JsonObject ValidateCrd(JsonObject crd)
    {
        var name = Json.Str(crd, "metadata", "name") ?? string.Empty;
        const string Kind = "CustomResourceDefinition";
        const string Group = "apiextensions.k8s.io";
        var spec = crd["spec"] as JsonObject ?? throw ApiException.Invalid(Kind, name, "spec", "FieldValueRequired", "Required value", Group);
        var group = Json.Str(spec, "group");
        var plural = Json.Str(spec, "names", "plural");
        var kind = Json.Str(spec, "names", "kind");
        if (string.IsNullOrEmpty(group))
        {
            throw ApiException.Invalid(Kind, name, "spec.group", "FieldValueRequired", "Required value", Group);
        }

        if (string.IsNullOrEmpty(plural) || string.IsNullOrEmpty(kind))
        {
            throw ApiException.Invalid(Kind, name, string.IsNullOrEmpty(plural) ? "spec.names.plural" : "spec.names.kind", "FieldValueRequired", "Required value", Group);
        }

        if (name != $"{plural}.{group}")
        {
            throw ApiException.Invalid(Kind, name, "metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group", Group);
        }

        if (spec["versions"] is not JsonArray { Count: > 0 } versions)
        {
            throw ApiException.Invalid(Kind, name, "spec.versions", "FieldValueRequired", "Required value: must have exactly one version marked as storage version", Group);
        }

        if (versions.Count(v => Json.Str(v, "storage") == "true") != 1)
        {
            throw ApiException.Invalid(Kind, name, "spec.versions", "FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version", Group);
        }

        var scope = Json.Str(spec, "scope");
        if (scope is not ("Namespaced" or "Cluster"))
        {
            throw ApiException.Invalid(Kind, name, "spec.scope", "FieldValueNotSupported", $"Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"", Group);
        }

        var names = Json.Obj(spec, "names");
        names["singular"] ??= kind.ToLowerInvariant();
        names["listKind"] ??= kind + "List";
        return spec;
    }

    private static JsonObject CrdStatus(JsonObject spec)
    {
        var now = Json.Timestamp(DateTimeOffset.UtcNow);
        return new JsonObject
        {
            ["acceptedNames"] = spec["names"]?.DeepClone(),
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts", ["message"] = "no conflicts found", ["lastTransitionTime"] = now },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted", ["lastTransitionTime"] = now }),
            ["storedVersions"] = new JsonArray((spec["versions"] as JsonArray ?? []).Where(v => Json.Str(v, "storage") == "true").Select(v => (JsonNode?)Json.Str(v, "name")).ToArray()),
        };
    }

    private void RegisterCrd(JsonObject crd)
    {
        var spec = Json.At(crd, "spec") as JsonObject;
        if (spec is null)
        {
            return;
        }

        var group = Json.Str(spec, "group")!;
        var names = Json.Obj(spec, "names");
        var plural = Json.Str(names, "plural")!;
        var kind = Json.Str(names, "kind")!;
        var types = new List<ResourceType>();
        foreach (var v in spec["versions"] as JsonArray ?? [])
        {
            if (Json.Str(v, "served") == "false")
            {
                continue;
            }

            types.Add(new ResourceType
            {
                Group = group,
                Version = Json.Str(v, "name")!,
                Kind = kind,
                Plural = plural,
                Singular = Json.Str(names, "singular") ?? kind.ToLowerInvariant(),
                Namespaced = Json.Str(spec, "scope") == "Namespaced",
                ShortNames = (names["shortNames"] as JsonArray ?? []).Select(Json.AsString).OfType<string>().ToList(),
                Categories = (names["categories"] as JsonArray ?? []).Select(Json.AsString).OfType<string>().ToList(),
                HasStatusSubresource = Json.At(v, "subresources", "status") is not null,
                HasGeneration = true,
                AllowUnconditionalUpdate = false,
                StrategicMergeSupported = false,
                ReturnDeletedObject = true,
                IsCustom = true,
            });
        }

        Catalog.SetCustom($"{plural}.{group}", types);
    }

    /// <summary>Builds the event used when a watcher must see an object it stopped matching.</summary>
    internal static StoreEvent AsDeleted(StoreEvent e) => e with { Type = WatchEventType.Deleted };
}
