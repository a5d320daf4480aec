using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Contiv.ApiServer.Patching;
using Contiv.ApiServer.Resources;
using Contiv.ApiServer.Storage;

namespace Contiv.ApiServer.Registry;

/// <summary>Write operations.</summary>
public sealed partial class ResourceRegistry
{
    /// <summary>Patch content types understood by <see cref="Patch"/>.</summary>
    public static class PatchTypes
    {
        /// <summary>RFC 6902.</summary>
        public const string Json = "application/json-patch+json";

        /// <summary>RFC 7386.</summary>
        public const string Merge = "application/merge-patch+json";

        /// <summary>Kubernetes strategic merge patch.</summary>
        public const string Strategic = "application/strategic-merge-patch+json";

        /// <summary>Server-side apply (approximated as a strategic merge without field ownership).</summary>
        public const string Apply = "application/apply-patch+yaml";
    }

    /// <summary>Creates an object in <paramref name="ns"/> (ignored for cluster-scoped kinds). The body is taken over.</summary>
    public JsonObject Create(ResourceType type, string? ns, JsonObject body, bool dryRun = false)
    {
        lock (_gate)
        {
            return CreateLocked(type, ns, body, dryRun);
        }
    }

    /// <summary>Replaces an object (PUT). <paramref name="statusOnly"/> is the <c>status</c> subresource.</summary>
    public JsonObject Update(ResourceType type, string? ns, string name, JsonObject body, bool statusOnly, out bool created, bool dryRun = false)
    {
        lock (_gate)
        {
            return UpdateLocked(type, ns, name, body, statusOnly, dryRun, out created);
        }
    }

    /// <summary>Patches an object with one of <see cref="PatchTypes"/>; an apply patch creates a missing object.</summary>
    public JsonObject Patch(ResourceType type, string? ns, string name, string patchType, string body, bool statusOnly, out bool created, bool dryRun = false)
    {
        lock (_gate)
        {
            created = false;
            var current = Find(type, ns, name);
            JsonNode? parsed = patchType == PatchTypes.Apply ? YamlBody.Parse(body) : ParseJson(body);
            if (current is null)
            {
                if (patchType == PatchTypes.Apply && !statusOnly && parsed is JsonObject applied)
                {
                    Json.Obj(applied, "metadata")["name"] ??= name;
                    created = true;
                    return CreateLocked(type, ns, applied, dryRun);
                }

                throw ApiException.NotFound(type.QualifiedName, name, type.Group);
            }

            JsonObject patched;
            switch (patchType)
            {
                case PatchTypes.Json:
                    if (parsed is not JsonArray ops)
                    {
                        throw ApiException.BadRequest($"json patch for {type.QualifiedName} \"{name}\" must be a JSON array of operations");
                    }

                    patched = JsonPatch.Apply(current.DeepClone(), ops) as JsonObject
                        ?? throw ApiException.BadRequest($"json patch for {type.QualifiedName} \"{name}\" did not produce an object");
                    break;
                case PatchTypes.Merge:
                    patched = JsonMergePatch.Apply(current.DeepClone(), RequireObject(parsed, type, name)) as JsonObject ?? new JsonObject();
                    break;
                case PatchTypes.Strategic:
                    if (!type.StrategicMergeSupported)
                    {
                        throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
                    }

                    patched = StrategicMergePatch.Apply(current, RequireObject(parsed, type, name), type.Kind);
                    break;
                case PatchTypes.Apply:
                    var apply = RequireObject(parsed, type, name);
                    Json.Obj(apply, "metadata").Remove("resourceVersion");
                    patched = type.StrategicMergeSupported
                        ? StrategicMergePatch.Apply(current, apply, type.Kind)
                        : JsonMergePatch.Apply(current.DeepClone(), apply) as JsonObject ?? new JsonObject();
                    break;
                default:
                    throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format ({patchType}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{(type.StrategicMergeSupported ? ", application/strategic-merge-patch+json" : string.Empty)}");
            }

            return UpdateLocked(type, ns, name, patched, statusOnly, dryRun, out _);
        }
    }

    private static JsonNode? ParseJson(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw ApiException.BadRequest($"patch body is not valid JSON: {e.Message}");
        }
    }

    private static JsonObject RequireObject(JsonNode? node, ResourceType type, string name)
        => node as JsonObject ?? throw ApiException.BadRequest($"patch for {type.QualifiedName} \"{name}\" must be a JSON object");

    /// <summary>
    /// Deletes an object. Objects with finalizers and scheduled pods with a grace period are only marked
    /// (deletionTimestamp) and returned; the rest are removed. Returns the object's last state.
    /// </summary>
    public JsonObject Delete(ResourceType type, string? ns, string name, DeleteOptions options, out bool removed)
    {
        DateTimeOffset? deadline;
        JsonObject result;
        lock (_gate)
        {
            result = DeleteLocked(type, ns, name, options, out removed, out deadline);
        }

        if (deadline is { } d)
        {
            PodTerminating?.Invoke(ns ?? string.Empty, name, Json.Str(result, "metadata", "uid") ?? string.Empty, d);
        }

        return result;
    }

    /// <summary>Sets <c>spec.nodeName</c> of an unbound pod (the <c>binding</c> subresource); 409 when already bound.</summary>
    public JsonObject Bind(ResourceType podType, string ns, string name, string nodeName)
    {
        lock (_gate)
        {
            var pod = Find(podType, ns, name) ?? throw ApiException.NotFound(podType.QualifiedName, name);
            var bound = Json.Str(pod, "spec", "nodeName");
            if (!string.IsNullOrEmpty(bound))
            {
                throw ApiException.Conflict(podType.QualifiedName, name, $"pod {name} is already assigned to node \"{bound}\"");
            }

            var copy = (JsonObject)pod.DeepClone();
            Json.Obj(copy, "spec")["nodeName"] = nodeName;
            return Commit(podType.StoreKey, WatchEventType.Modified, copy, pod, true);
        }
    }

    // ---------------------------------------------------------------- create

    private JsonObject CreateLocked(ResourceType type, string? ns, JsonObject body, bool dryRun)
    {
        CheckKind(type, body);
        body["apiVersion"] = type.ApiVersion;
        body["kind"] = type.Kind;
        var meta = Json.Obj(body, "metadata");
        var bodyNs = Json.Str(meta, "namespace");
        if (type.Namespaced)
        {
            ns ??= bodyNs;
            if (string.IsNullOrEmpty(ns))
            {
                throw ApiException.BadRequest($"{type.QualifiedName}: namespace is required for a namespaced resource");
            }

            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            meta["namespace"] = ns;
            if (Find(NamespaceType, null, ns) is null)
            {
                throw ApiException.NotFound("namespaces", ns);
            }
        }
        else
        {
            meta.Remove("namespace");
            ns = null;
        }

        var name = Json.Str(meta, "name");
        var generate = Json.Str(meta, "generateName");
        if (string.IsNullOrEmpty(name))
        {
            if (string.IsNullOrEmpty(generate))
            {
                throw ApiException.Invalid(type.Kind, string.Empty, "metadata.name", "FieldValueRequired", "Required value: name or generateName is required", type.Group);
            }

            for (var attempt = 0; ; attempt++)
            {
                name = GenerateName(generate);
                if (Find(type, ns, name) is null)
                {
                    break;
                }

                if (attempt == 7)
                {
                    throw ApiException.AlreadyExists(type.QualifiedName, name, type.Group);
                }
            }

            meta["name"] = name;
        }

        ValidateName(type, name);
        if (Find(type, ns, name) is not null)
        {
            throw ApiException.AlreadyExists(type.QualifiedName, name, type.Group);
        }

        foreach (var field in new[] { "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields" })
        {
            meta.Remove(field);
        }

        meta["uid"] = NewUid();
        meta["creationTimestamp"] = Now();
        if (type.HasGeneration)
        {
            meta["generation"] = 1;
        }
        else
        {
            meta.Remove("generation");
        }

        StrategyFor(type).PrepareForCreate(type, body, dryRun);
        if (dryRun)
        {
            return body;
        }

        var stored = Commit(type.StoreKey, WatchEventType.Added, body, null, type.Namespaced);
        StrategyFor(type).AfterCommit(type, stored, null);
        return stored;
    }

    private string NewUid()
    {
        Span<byte> b = stackalloc byte[16];
        _random.NextBytes(b);
        b[6] = (byte)((b[6] & 0x0f) | 0x40);
        b[8] = (byte)((b[8] & 0x3f) | 0x80);
        return new Guid(b, bigEndian: true).ToString();
    }

    private static void CheckKind(ResourceType type, JsonObject body)
    {
        var kind = Json.Str(body, "kind");
        var apiVersion = Json.Str(body, "apiVersion");
        if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
        {
            throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({type.Kind}) of {type.QualifiedName}");
        }

        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != type.ApiVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }
    }

    private static void ValidateName(ResourceType type, string name)
    {
        var ok = type.StoreKey switch
        {
            // DNS-1123 labels for namespaces and services, subdomains for the rest.
            "namespaces" or "services" => name.Length <= 63 && DnsLabel().IsMatch(name),
            // RBAC names are path segments (kube-apiserver's own roles are named system:…).
            "roles.rbac.authorization.k8s.io" or "clusterroles.rbac.authorization.k8s.io" or "rolebindings.rbac.authorization.k8s.io" or "clusterrolebindings.rbac.authorization.k8s.io"
                => name is not ("." or "..") && name.IndexOfAny(['/', '%']) < 0,
            _ => name.Length <= 253 && DnsSubdomain().IsMatch(name),
        };
        if (!ok)
        {
            throw ApiException.Invalid(type.Kind, name, "metadata.name", "FieldValueInvalid",
                $"Invalid value: \"{name}\": a lowercase RFC 1123 {(type.StoreKey is "namespaces" or "services" ? "label" : "subdomain")} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", type.Group);
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    // ---------------------------------------------------------------- update

    private JsonObject UpdateLocked(ResourceType type, string? ns, string name, JsonObject body, bool statusOnly, bool dryRun, out bool created)
    {
        created = false;
        if (!type.Namespaced)
        {
            ns = null;
        }

        var old = Find(type, ns, name);
        CheckKind(type, body);
        var meta = Json.Obj(body, "metadata");
        var bodyName = Json.Str(meta, "name");
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var bodyNs = Json.Str(meta, "namespace");
        if (type.Namespaced && !string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (old is null)
        {
            if (type.AllowCreateOnUpdate && !statusOnly)
            {
                meta["name"] = name;
                created = true;
                return CreateLocked(type, ns, body, dryRun);
            }

            throw ApiException.NotFound(type.QualifiedName, name, type.Group);
        }

        var oldRv = Json.Str(old, "metadata", "resourceVersion");
        var rv = Json.Str(meta, "resourceVersion");
        if (string.IsNullOrEmpty(rv))
        {
            if (!type.AllowUnconditionalUpdate)
            {
                throw ApiException.Invalid(type.Kind, name, "metadata.resourceVersion", "FieldValueInvalid", "Invalid value: 0x0: must be specified for an update", type.Group);
            }
        }
        else if (rv != oldRv)
        {
            throw ApiException.Conflict(type.QualifiedName, name, "the object has been modified; please apply your changes to the latest version and try again", type.Group);
        }

        JsonObject next;
        if (statusOnly)
        {
            next = (JsonObject)old.DeepClone();
            next.Remove("status");
            if (body["status"] is JsonNode status)
            {
                body.Remove("status");
                next["status"] = status;
            }

            if (type.StoreKey == "pods")
            {
                // pods/status may change labels and annotations too.
                CopyMeta(meta, Json.Obj(next, "metadata"), "labels", "annotations");
            }
        }
        else
        {
            next = body;
            next["apiVersion"] = type.ApiVersion;
            next["kind"] = type.Kind;
            if (type.HasStatusSubresource)
            {
                next.Remove("status");
                if (old["status"] is JsonNode oldStatus)
                {
                    next["status"] = oldStatus.DeepClone();
                }
            }

            var oldMeta = (JsonObject)old["metadata"]!;
            foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
            {
                meta.Remove(field);
                if (oldMeta[field] is JsonNode v)
                {
                    meta[field] = v.DeepClone();
                }
            }

            if (oldMeta["deletionTimestamp"] is not null)
            {
                var oldFinalizers = (oldMeta["finalizers"] as JsonArray ?? []).Select(Json.AsString).ToHashSet();
                foreach (var f in meta["finalizers"] as JsonArray ?? [])
                {
                    if (!oldFinalizers.Contains(Json.AsString(f)))
                    {
                        throw ApiException.Invalid(type.Kind, name, "metadata.finalizers", "FieldValueForbidden", $"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers [\"{Json.AsString(f)}\"]", type.Group);
                    }
                }
            }

            StrategyFor(type).PrepareForUpdate(type, next, old, dryRun);
            if (type.HasGeneration && !Json.DeepEquals(next["spec"], old["spec"]))
            {
                meta["generation"] = (Json.Long(oldMeta["generation"]) ?? 0) + 1;
            }
        }

        Json.Obj(next, "metadata")["resourceVersion"] = oldRv;
        if (Json.DeepEquals(next, old))
        {
            return old;
        }

        if (dryRun)
        {
            return next;
        }

        var nextMeta = Json.Obj(next, "metadata");
        if (nextMeta["deletionTimestamp"] is not null && (nextMeta["finalizers"] as JsonArray ?? []).Count == 0 && !IsGracefulPodPending(type, next))
        {
            return RemoveLocked(type, next, old);
        }

        var stored = Commit(type.StoreKey, WatchEventType.Modified, next, old, type.Namespaced);
        StrategyFor(type).AfterCommit(type, stored, old);
        return stored;
    }

    private static void CopyMeta(JsonObject from, JsonObject to, params string[] fields)
    {
        foreach (var f in fields)
        {
            if (from.TryGetPropertyValue(f, out var v))
            {
                to.Remove(f);
                if (v is not null)
                {
                    to[f] = v.DeepClone();
                }
            }
        }
    }

    // A pod marked for graceful deletion stays until its grace period ends, even without finalizers.
    private static bool IsGracefulPodPending(ResourceType type, JsonObject obj)
        => type.StoreKey == "pods" && (Json.Long(Json.At(obj, "metadata", "deletionGracePeriodSeconds")) ?? 0) > 0;

    // ---------------------------------------------------------------- delete

    private JsonObject DeleteLocked(ResourceType type, string? ns, string name, DeleteOptions options, out bool removed, out DateTimeOffset? podDeadline)
    {
        removed = false;
        podDeadline = null;
        var old = Find(type, ns, name) ?? throw ApiException.NotFound(type.QualifiedName, name, type.Group);
        var uid = Json.Str(old, "metadata", "uid");
        if (options.PreconditionUid is { Length: > 0 } pu && pu != uid)
        {
            throw ApiException.Conflict(type.QualifiedName, name, $"Precondition failed: UID in precondition: {pu}, UID in object meta: {uid}", type.Group);
        }

        var oldRv = Json.Str(old, "metadata", "resourceVersion");
        if (options.PreconditionResourceVersion is { Length: > 0 } prv && prv != oldRv)
        {
            throw ApiException.Conflict(type.QualifiedName, name, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {oldRv}", type.Group);
        }

        if (options.DryRun)
        {
            return old;
        }

        var finalizers = Json.At(old, "metadata", "finalizers") as JsonArray;
        var hasDeletion = Json.At(old, "metadata", "deletionTimestamp") is not null;
        if (type.StoreKey == "pods" && Options.GracefulPodDeletion)
        {
            var grace = options.GracePeriodSeconds ?? Json.Long(Json.At(old, "spec", "terminationGracePeriodSeconds")) ?? 30;
            if (grace < 0)
            {
                grace = 1;
            }

            var phase = Json.Str(old, "status", "phase");
            if (string.IsNullOrEmpty(Json.Str(old, "spec", "nodeName")) || phase is "Succeeded" or "Failed")
            {
                grace = 0;
            }

            if (grace > 0)
            {
                var deadline = _time.GetUtcNow().AddSeconds(grace);
                if (hasDeletion && Json.ParseTime(Json.Str(old, "metadata", "deletionTimestamp")) is { } existing && existing <= deadline)
                {
                    return old;
                }

                var marked = (JsonObject)old.DeepClone();
                var m = Json.Obj(marked, "metadata");
                m["deletionTimestamp"] = Json.Timestamp(deadline);
                m["deletionGracePeriodSeconds"] = grace;
                podDeadline = deadline;
                return Commit(type.StoreKey, WatchEventType.Modified, marked, old, true);
            }
        }

        if (finalizers is { Count: > 0 })
        {
            if (hasDeletion && (Json.Long(Json.At(old, "metadata", "deletionGracePeriodSeconds")) ?? 0) == 0)
            {
                return old;
            }

            var marked = (JsonObject)old.DeepClone();
            var m = Json.Obj(marked, "metadata");
            if (!hasDeletion)
            {
                m["deletionTimestamp"] = Now();
            }

            m["deletionGracePeriodSeconds"] = 0;
            return Commit(type.StoreKey, WatchEventType.Modified, marked, old, type.Namespaced);
        }

        removed = true;
        return RemoveLocked(type, (JsonObject)old.DeepClone(), old);
    }

    private JsonObject RemoveLocked(ResourceType type, JsonObject last, JsonObject old)
    {
        if (type.StoreKey == "namespaces")
        {
            var ns = Json.Str(old, "metadata", "name");
            foreach (var t in Catalog.All.Where(t => t.Namespaced).DistinctBy(t => t.StoreKey).ToList())
            {
                foreach (var obj in AllOf(t.StoreKey).Where(o => Json.Str(o, "metadata", "namespace") == ns).ToList())
                {
                    RemoveLocked(t, (JsonObject)obj.DeepClone(), obj);
                }
            }

            Json.Obj(last, "status")["phase"] = "Terminating";
        }

        var stored = Commit(type.StoreKey, WatchEventType.Deleted, last, old, type.Namespaced);
        StrategyFor(type).AfterRemove(type, stored);
        return stored;
    }

    /// <summary>Status answered by DELETE for kinds that do not return the object.</summary>
    public static JsonObject SuccessStatus(ResourceType type, JsonObject deleted) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject
        {
            ["name"] = Json.Str(deleted, "metadata", "name"),
            ["group"] = type.Group,
            ["kind"] = type.Plural,
            ["uid"] = Json.Str(deleted, "metadata", "uid"),
        },
    };

    internal static string Format(long v) => v.ToString(CultureInfo.InvariantCulture);

    internal static string Describe(JsonObject obj)
    {
        var sb = new StringBuilder();
        var ns = Json.Str(obj, "metadata", "namespace");
        if (!string.IsNullOrEmpty(ns))
        {
            sb.Append(ns).Append('/');
        }

        return sb.Append(Json.Str(obj, "metadata", "name")).ToString();
    }
}
