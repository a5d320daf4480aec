using System.Globalization;
using System.Security.Cryptography;
using Contiv.Lab.Lab;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Contiv.Lab.Kubelet;

/// <summary>
/// Records core/v1 Events about a pod as kubelet does (<c>Created</c>, <c>Started</c>, <c>Killing</c>,
/// <c>FailedCreatePodSandBox</c> with the CNI error text, …), so <c>kubectl describe pod</c> and
/// <c>kubectl get events</c> explain what happened. A repeated event (same reason, message and container) is
/// aggregated: its <c>count</c> and <c>lastTimestamp</c> go up instead of a new object. Failures are logged, never thrown.
/// </summary>
public sealed class PodEvents
{
    private readonly Dictionary<string, (string Name, int Count)> _sent = new(StringComparer.Ordinal);
    private readonly System.Threading.Channels.Channel<(V1Pod Pod, string Type, string Reason, string Message, string? Container)> _queue =
        System.Threading.Channels.Channel.CreateUnbounded<(V1Pod, string, string, string, string?)>(new() { SingleReader = true });

    private readonly IKubernetes client;
    private readonly string component;
    private readonly string? host;

    /// <summary>Creates a recorder for events from <paramref name="component"/> on <paramref name="host"/>; posted events are sent in order by a background task.</summary>
    public PodEvents(IKubernetes client, string component, string? host)
    {
        this.client = client;
        this.component = component;
        this.host = host;
        _ = Task.Run(SendAsync);
    }

    /// <summary>Queues a Normal event (never blocks, never throws).</summary>
    public void Normal(V1Pod pod, string reason, string message, string? container = null) => _queue.Writer.TryWrite((pod, "Normal", reason, message, container));

    /// <summary>Queues a Warning event (never blocks, never throws).</summary>
    public void Warning(V1Pod pod, string reason, string message, string? container = null) => _queue.Writer.TryWrite((pod, "Warning", reason, message, container));

    private async Task SendAsync()
    {
        await foreach (var e in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await RecordAsync(e.Pod, e.Type, e.Reason, e.Message, e.Container, component, host).ConfigureAwait(false);
        }
    }

    /// <summary>Records an event about <paramref name="pod"/> from <paramref name="source"/> (e.g. the scheduler).</summary>
    public async Task RecordAsync(V1Pod pod, string type, string reason, string message, string? container, string source, string? sourceHost)
    {
        var key = $"{pod.Uid()}|{type}|{reason}|{container}|{message}";
        var now = DateTime.UtcNow;
        try
        {
            (string Name, int Count) previous;
            lock (_sent)
            {
                _sent.TryGetValue(key, out previous);
            }

            if (previous.Name is not null)
            {
                var count = previous.Count + 1;
                var patch = "{\"count\":" + count.ToString(CultureInfo.InvariantCulture) + ",\"lastTimestamp\":\"" + now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "\"}";
                await client.CoreV1.PatchNamespacedEventAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), previous.Name, pod.Namespace()).ConfigureAwait(false);
                lock (_sent)
                {
                    _sent[key] = (previous.Name, count);
                }

                return;
            }

            var name = $"{pod.Name()}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
            var ev = new Corev1Event
            {
                ApiVersion = "v1",
                Kind = "Event",
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = pod.Namespace() },
                InvolvedObject = new V1ObjectReference
                {
                    ApiVersion = "v1",
                    Kind = "Pod",
                    Name = pod.Name(),
                    NamespaceProperty = pod.Namespace(),
                    Uid = pod.Uid(),
                    FieldPath = container is null ? null : $"spec.containers{{{container}}}",
                },
                Reason = reason,
                Message = message,
                Type = type,
                Count = 1,
                FirstTimestamp = now,
                LastTimestamp = now,
                Source = new V1EventSource { Component = source, Host = sourceHost },
                ReportingComponent = source,
                ReportingInstance = sourceHost ?? string.Empty,
            };
            await client.CoreV1.CreateNamespacedEventAsync(ev, pod.Namespace()).ConfigureAwait(false);
            lock (_sent)
            {
                _sent[key] = (name, 1);
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            LabLog.Warn(component, $"event {reason} for pod {pod.Namespace()}/{pod.Name()} not recorded: {e.Message}");
        }
    }
}
