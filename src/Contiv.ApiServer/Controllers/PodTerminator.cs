using Contiv.ApiServer.Registry;
using Contiv.ApiServer.Resources;
using Microsoft.Extensions.Logging;

namespace Contiv.ApiServer.Controllers;

/// <summary>
/// Finishes graceful pod deletions when the grace period ends, standing in for a kubelet that would
/// otherwise delete the pod with grace 0 once its containers stopped (a kubelet that does so earlier wins).
/// </summary>
internal sealed class PodTerminator : IAsyncDisposable
{
    private readonly ResourceRegistry _registry;
    private readonly ILogger _log;
    private readonly ResourceType _pods;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pending = [];

    public PodTerminator(ResourceRegistry registry, ILogger log)
    {
        _registry = registry;
        _log = log;
        _pods = registry.Catalog.Find(string.Empty, "v1", "pods")!;
        registry.PodTerminating += Schedule;
        foreach (var pod in registry.List(_pods, null).Items)
        {
            if (Json.ParseTime(Json.Str(pod, "metadata", "deletionTimestamp")) is { } deadline)
            {
                Schedule(Json.Str(pod, "metadata", "namespace")!, Json.Str(pod, "metadata", "name")!, Json.Str(pod, "metadata", "uid") ?? string.Empty, deadline);
            }
        }
    }

    private void Schedule(string ns, string name, string uid, DateTimeOffset deadline)
    {
        var task = FinishAsync(ns, name, uid, deadline);
        lock (_pending)
        {
            _pending.RemoveAll(t => t.IsCompleted);
            _pending.Add(task);
        }
    }

    private async Task FinishAsync(string ns, string name, string uid, DateTimeOffset deadline)
    {
        try
        {
            var wait = deadline - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _stop.Token);
            }

            var pod = _registry.TryGet(_pods, ns, name);
            if (pod is null || Json.Str(pod, "metadata", "uid") != uid)
            {
                return;
            }

            _registry.Delete(_pods, ns, name, new DeleteOptions { GracePeriodSeconds = 0, PreconditionUid = uid }, out _);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Already gone or replaced.
        }
        catch (ApiException e)
        {
            _log.LogWarning("finishing deletion of pod {Namespace}/{Name}: {Message}", ns, name, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _registry.PodTerminating -= Schedule;
        await _stop.CancelAsync();
        Task[] pending;
        lock (_pending)
        {
            pending = [.. _pending];
        }

        await Task.WhenAll(pending);
        _stop.Dispose();
    }

}
