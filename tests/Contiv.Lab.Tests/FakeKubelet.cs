using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Contiv.Lab.Tests;

/// <summary>
/// Plays scheduler and kubelets for the controller tests: binds unscheduled pods to the first Ready node (round robin),
/// then after <see cref="ReadyAfter"/> marks them Running and Ready — except images named <c>never-ready</c>; images
/// <c>succeed</c> and <c>fail</c> end in Succeeded or Failed (Jobs).
/// </summary>
internal sealed class FakeKubelet : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _next;

    public FakeKubelet(IKubernetes client)
    {
        _client = client;
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    public TimeSpan ReadyAfter { get; set; } = TimeSpan.FromMilliseconds(200);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await StepAsync(ct);
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // Deleted or changed meanwhile: the next step sees the new state.
            }

            await Task.Delay(50, ct);
        }
    }

    private async Task StepAsync(CancellationToken ct)
    {
        var nodes = (await _client.CoreV1.ListNodeAsync(cancellationToken: ct)).Items
            .Where(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true).Select(n => n.Name()).OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (var pod in (await _client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct)).Items)
        {
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            if (string.IsNullOrEmpty(pod.Spec.NodeName))
            {
                if (nodes.Count > 0)
                {
                    var node = nodes[_next++ % nodes.Count];
                    await _client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = pod.Name() }, Target = new V1ObjectReference { Kind = "Node", Name = node } }, pod.Name(), pod.Namespace(), cancellationToken: ct);
                }

                continue;
            }

            if (pod.Status?.Phase != "Pending" || DateTime.UtcNow - (pod.Metadata.CreationTimestamp ?? DateTime.UtcNow) < ReadyAfter)
            {
                continue;
            }

            var image = pod.Spec.Containers[0].Image;
            var phase = image switch { "succeed" => "Succeeded", "fail" => "Failed", _ => "Running" };
            var ready = phase == "Running" && image != "never-ready";
            var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var status = new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["phase"] = phase,
                    ["podIP"] = $"10.1.{_next % 250}.{(_next / 250) + 2}",
                    ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = now }),
                },
            };
            _next++;
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(status.ToJsonString(), V1Patch.PatchType.MergePatch), pod.Name(), pod.Namespace(), cancellationToken: ct);
        }
    }
}
