using System.Globalization;
using System.Text.Json.Nodes;
using Contiv.Lab.Lab;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// Pods whose containers need a real image. The lab runs containers as host processes and has no image store, so
/// a container that asks for a node-local image (<c>imagePullPolicy: Never</c>, as the dev overlay of deploy/ sets)
/// names an image that is never present: as kubelet does, the pod stays Pending with the container waiting in
/// <c>ErrImageNeverPull</c> and one Warning event, and nothing of it runs — no sandbox, no process, no hostPath or
/// host-network change — so a vSwitch DaemonSet applied to the lab cannot disturb the lab's own vSwitch.
/// </summary>
internal sealed partial class PodWorker
{
    private string? _reportedImageProblem;

    /// <summary>Why the container cannot run here (kubelet's message), or null when it can.</summary>
    internal static string? ImageNotPresent(V1Container container)
        => container.ImagePullPolicy == "Never" && container.Image is { Length: > 0 } image && image != "none"
            ? $"Container image \"{image}\" is not present with pull policy of Never"
            : null;

    /// <summary>True when some init or app container of the pod cannot run in the lab.</summary>
    private bool NeedsMissingImage()
        => (_pod.Spec.InitContainers ?? []).Concat(_pod.Spec.Containers).Any(c => ImageNotPresent(c) is not null);

    /// <summary>Reports the pod Pending with its containers waiting, and records the event once per problem.</summary>
    private async Task ReportMissingImageAsync(CancellationToken ct)
    {
        var inits = _pod.Spec.InitContainers ?? [];
        var blockedInit = inits.FirstOrDefault(c => ImageNotPresent(c) is not null);
        var blocked = blockedInit ?? _pod.Spec.Containers.First(c => ImageNotPresent(c) is not null);
        var message = ImageNotPresent(blocked)!;
        if (_reportedImageProblem != message)
        {
            LabLog.Warn(_component, $"container {blocked.Name}: {message}; the lab has no images, the pod stays Pending");
            _events?.Warning(_pod, "ErrImageNeverPull", message, blocked.Name);
            _reportedImageProblem = message;
        }

        JsonObject Waiting(V1Container c, bool initBlocks)
        {
            // App containers wait behind a blocked init container whatever their own image (kubelet's order).
            var problem = initBlocks ? null : ImageNotPresent(c);
            var reason = initBlocks ? "PodInitializing" : problem is not null ? "ErrImageNeverPull" : "ContainerCreating";
            return new JsonObject
            {
                ["name"] = c.Name,
                ["image"] = c.Image,
                ["imageID"] = string.Empty,
                ["ready"] = false,
                ["started"] = false,
                ["restartCount"] = 0,
                ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = reason, ["message"] = problem } },
            };
        }

        var initialized = blockedInit is null;
        var status = new JsonObject
        {
            ["phase"] = "Pending",
            ["hostIP"] = _options.HostIp,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = _options.HostIp }),
            ["conditions"] = new JsonArray
            {
                Condition("PodScheduled", true, null, null),
                Condition("PodReadyToStartContainers", false, null, null),
                Condition("Initialized", initialized, initialized ? null : "ContainersNotInitialized", initialized ? null : $"containers with incomplete status: [{string.Join(' ', inits.Select(c => c.Name))}]"),
                Condition("ContainersReady", false, "ContainersNotReady", $"containers with unready status: [{string.Join(' ', _pod.Spec.Containers.Select(c => c.Name))}]"),
                Condition("Ready", false, "ContainersNotReady", $"containers with unready status: [{string.Join(' ', _pod.Spec.Containers.Select(c => c.Name))}]"),
            },
            ["initContainerStatuses"] = inits.Count == 0 ? null : new JsonArray(inits.Select(c => (JsonNode)Waiting(c, false)).ToArray()),
            ["containerStatuses"] = new JsonArray(_pod.Spec.Containers.Select(c => (JsonNode)Waiting(c, !initialized)).ToArray()),
        };

        var fingerprint = status.ToJsonString();
        if (fingerprint == _lastStatus)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        status["startTime"] = now;
        foreach (var cond in (JsonArray)status["conditions"]!)
        {
            cond!["lastTransitionTime"] = now;
        }

        try
        {
            var patch = new JsonObject { ["status"] = status }.ToJsonString();
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), _pod.Name(), _pod.Namespace(), cancellationToken: ct).ConfigureAwait(false);
            _lastStatus = fingerprint;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            LabLog.Warn(_component, $"status update failed: {e.Message}");
        }
    }
}
