using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Patching;

/// <summary>
/// Strategic merge patch for the built-in kinds: a JSON merge patch, except that lists tagged with a
/// merge key merge element by element, primitive lists tagged as sets merge as a union, and the
/// directives <c>$patch</c>, <c>$setElementOrder/</c>, <c>$deleteFromPrimitiveList/</c> and <c>$retainKeys</c> apply.
/// Merge keys follow the struct tags of k8s.io/api (see docs/apiserver.md).
/// </summary>
public static class StrategicMergePatch
{
    private const string PrimitiveSet = "$primitive";

    // Paths are dot-joined object keys; list elements add no segment.
    private static readonly Dictionary<string, string> CommonKeys = new(StringComparer.Ordinal)
    {
        ["metadata.ownerReferences"] = "uid",
        ["metadata.finalizers"] = PrimitiveSet,
        ["status.conditions"] = "type",
    };

    private static readonly Dictionary<string, Dictionary<string, string>> KindKeys = BuildKindKeys();

    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="original"/> for an object of <paramref name="kind"/>.</summary>
    public static JsonObject Apply(JsonObject original, JsonObject patch, string kind)
    {
        var target = (JsonObject)original.DeepClone();
        var keys = KindKeys.GetValueOrDefault(kind) ?? CommonKeys;
        return MergeObject(target, patch, string.Empty, keys) ?? new JsonObject();
    }

    private static Dictionary<string, Dictionary<string, string>> BuildKindKeys()
    {
        var pod = new Dictionary<string, string>(CommonKeys, StringComparer.Ordinal)
        {
            ["spec.volumes"] = "name",
            ["spec.imagePullSecrets"] = "name",
            ["spec.schedulingGates"] = "name",
            ["spec.hostAliases"] = "ip",
            ["spec.topologySpreadConstraints"] = "topologyKey",
            ["spec.resourceClaims"] = "name",
            ["status.podIPs"] = "ip",
            ["status.hostIPs"] = "ip",
        };
        foreach (var list in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            var p = $"spec.{list}";
            pod[p] = "name";
            pod[$"{p}.ports"] = "containerPort";
            pod[$"{p}.env"] = "name";
            pod[$"{p}.volumeMounts"] = "mountPath";
            pod[$"{p}.volumeDevices"] = "devicePath";
            pod[$"{p}.resizePolicy"] = "resourceName";
        }

        var service = new Dictionary<string, string>(CommonKeys, StringComparer.Ordinal)
        {
            ["spec.ports"] = "port",
        };
        var node = new Dictionary<string, string>(CommonKeys, StringComparer.Ordinal)
        {
            ["status.addresses"] = "type",
        };
        // Workloads carry a pod at spec.template: the pod's keys under that prefix.
        var workload = new Dictionary<string, string>(CommonKeys, StringComparer.Ordinal);
        foreach (var (path, key) in pod)
        {
            if (path.StartsWith("spec.", StringComparison.Ordinal))
            {
                workload["spec.template." + path] = key;
            }
        }

        return new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal)
        {
            ["Deployment"] = workload,
            ["ReplicaSet"] = workload,
            ["DaemonSet"] = workload,
            ["Job"] = workload,
            ["Pod"] = pod,
            ["Service"] = service,
            ["Node"] = node,
        };
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>Merges into <paramref name="target"/>; returns null when the map is to be deleted (<c>$patch: delete</c>).</summary>
    private static JsonObject? MergeObject(JsonObject target, JsonObject patch, string path, Dictionary<string, string> keys)
    {
        var directive = Json.Str(patch, "$patch");
        if (directive == "delete")
        {
            return null;
        }

        if (directive == "replace")
        {
            return Strip(patch);
        }

        var orders = new List<(string List, JsonArray Order)>();
        var deletions = new List<(string List, JsonArray Values)>();
        foreach (var (key, value) in patch)
        {
            if (key == "$patch")
            {
                continue;
            }

            if (key == "$retainKeys")
            {
                continue;
            }

            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                if (value is JsonArray order)
                {
                    orders.Add((key["$setElementOrder/".Length..], order));
                }

                continue;
            }

            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                if (value is JsonArray values)
                {
                    deletions.Add((key["$deleteFromPrimitiveList/".Length..], values));
                }

                continue;
            }

            if (value is null)
            {
                target.Remove(key);
                continue;
            }

            target.TryGetPropertyValue(key, out var existing);
            var childPath = Join(path, key);
            JsonNode? merged;
            switch (value)
            {
                case JsonObject po:
                    merged = existing is JsonObject eo ? MergeObject(Detach(target, key, eo), po, childPath, keys) : MergeObject(new JsonObject(), po, childPath, keys);
                    break;
                case JsonArray pa:
                    merged = MergeList(existing as JsonArray is { } ea ? Detach(target, key, ea) : null, pa, childPath, keys);
                    break;
                default:
                    merged = value.DeepClone();
                    break;
            }

            if (merged is not null)
            {
                target[key] = merged;
            }
            else
            {
                target.Remove(key);
            }
        }

        foreach (var (list, values) in deletions)
        {
            if (target[list] is JsonArray arr)
            {
                for (var i = arr.Count - 1; i >= 0; i--)
                {
                    if (values.Any(v => JsonNode.DeepEquals(v, arr[i])))
                    {
                        arr.RemoveAt(i);
                    }
                }
            }
        }

        foreach (var (list, order) in orders)
        {
            if (target[list] is JsonArray arr)
            {
                Reorder(arr, order, keys.GetValueOrDefault(Join(path, list)));
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(Json.AsString).ToHashSet(StringComparer.Ordinal);
            foreach (var key in target.Select(kv => kv.Key).ToList())
            {
                if (!keep.Contains(key))
                {
                    target.Remove(key);
                }
            }
        }

        return target;
    }

    private static T Detach<T>(JsonObject parent, string key, T node)
        where T : JsonNode
    {
        // Detach in place so that the key keeps its position.
        parent[key] = null;
        return node;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string path, Dictionary<string, string> keys)
    {
        keys.TryGetValue(path, out var mergeKey);
        if (mergeKey is null || patch.Any(e => e is JsonObject o && Json.Str(o, "$patch") == "replace"))
        {
            return new JsonArray(patch.Where(e => !(e is JsonObject o && Json.Str(o, "$patch") == "replace")).Select(e => (JsonNode?)(e is JsonObject o2 ? Strip(o2) : e?.DeepClone())).ToArray());
        }

        target ??= [];
        if (mergeKey == PrimitiveSet)
        {
            foreach (var item in patch)
            {
                if (!target.Any(t => JsonNode.DeepEquals(t, item)))
                {
                    target.Add(item?.DeepClone());
                }
            }

            return target;
        }

        foreach (var item in patch)
        {
            if (item is not JsonObject po)
            {
                target.Add(item?.DeepClone());
                continue;
            }

            var keyValue = po[mergeKey];
            var index = -1;
            for (var i = 0; i < target.Count; i++)
            {
                if (target[i] is JsonObject to && JsonNode.DeepEquals(to[mergeKey], keyValue))
                {
                    index = i;
                    break;
                }
            }

            if (Json.Str(po, "$patch") == "delete")
            {
                if (index >= 0)
                {
                    target.RemoveAt(index);
                }

                continue;
            }

            if (index >= 0)
            {
                var existing = (JsonObject)target[index]!;
                target.RemoveAt(index);
                var merged = MergeObject(existing, po, path, keys);
                if (merged is not null)
                {
                    target.Insert(index, merged);
                }
            }
            else
            {
                target.Add(Strip(po));
            }
        }

        return target;
    }

    private static void Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        var items = list.ToList();
        list.Clear();
        var placed = new List<JsonNode?>();
        foreach (var o in order)
        {
            var found = items.FirstOrDefault(i => mergeKey is null || mergeKey == PrimitiveSet
                ? JsonNode.DeepEquals(i, o)
                : i is JsonObject io && o is JsonObject oo && JsonNode.DeepEquals(io[mergeKey], oo[mergeKey]));
            if (found is not null && !placed.Contains(found))
            {
                placed.Add(found);
            }
        }

        foreach (var i in placed)
        {
            list.Add(i);
        }

        foreach (var i in items.Where(i => !placed.Contains(i)))
        {
            list.Add(i);
        }
    }

    /// <summary>A copy of a patch fragment without directives (used where the fragment is new content).</summary>
    private static JsonObject Strip(JsonObject patch)
    {
        var result = new JsonObject();
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith('$') || value is null)
            {
                continue;
            }

            result[key] = value switch
            {
                JsonObject o => Strip(o),
                JsonArray a => new JsonArray(a.Select(e => (JsonNode?)(e is JsonObject eo ? Strip(eo) : e?.DeepClone())).ToArray()),
                _ => value.DeepClone(),
            };
        }

        return result;
    }
}
