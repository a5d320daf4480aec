using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>Pods: defaults and validation of the spec; new pods are Pending with their QoS class.</summary>
internal sealed class PodStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun)
    {
        DefaultPod(obj);
        ValidatePod(obj);
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
    }

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        DefaultPod(next);
        ValidatePod(next);
    }

    /// <summary>Pod defaults; also applied to the pod templates of workloads.</summary>
    internal static void DefaultPod(JsonObject pod)
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

    /// <summary>Pod validation; also applied to the pod templates of workloads.</summary>
    internal static void ValidatePod(JsonObject pod)
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
}
