using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>Services: defaults, cluster IP and node port allocation, and their release when the Service goes.</summary>
/// <param name="allocator">The registry's cluster IP and node port pools.</param>
internal sealed class ServiceStrategy(ServiceAllocator allocator) : IResourceStrategy
{
    private readonly ServiceAllocator _allocator = allocator;

    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        DefaultService(obj);
        AllocateService(obj, null, dryRun);
        obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        DefaultService(next);
        AllocateService(next, old, dryRun);
    }

    /// <inheritdoc />
    public void AfterRemove(ResourceType type, JsonObject removed) => ReleaseService(removed);

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
}
