using System.Collections.Concurrent;
using System.Net;
using Contiv.Crd.Definitions;
using Contiv.Crd.Kube;
using Contiv.Ksr.Kube;
using Contiv.Ksr.Queue;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Contiv.Crd.Status;

/// <summary>
/// Sets <c>status</c> Success/Failure + message on the objects of one kind (SPEC §1.4): an informer
/// sink that checks each listed or changed object with the kind's conversion, and a writer that
/// patches the status subresource when it differs from what the object carries. Only the leader
/// writes; objects seen meanwhile wait in a collapsing queue. A status write changes only
/// <c>status</c>, so the MODIFIED event it causes finds nothing to do.
/// </summary>
internal sealed partial class StatusWriter : IInformerSink
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly CrdKind _kind;
    private readonly Func<CustomResource, string?> _problem;
    private readonly IKubernetes _kube;
    private readonly Func<bool> _isLeader;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly WorkQueue<(string Namespace, string Name)> _queue;
    private readonly ConcurrentDictionary<(string Namespace, string Name), CrdStatus> _wanted = new();

    /// <summary>Creates the writer.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="problem">Why an object cannot be mirrored, or null when it can.</param>
    /// <param name="kube">Kubernetes client.</param>
    /// <param name="isLeader">True while this instance may write.</param>
    /// <param name="log">Logger.</param>
    /// <param name="time">Clock of the retries.</param>
    public StatusWriter(CrdKind kind, Func<CustomResource, string?> problem, IKubernetes kube, Func<bool> isLeader, ILogger log, TimeProvider? time = null)
    {
        _kind = kind;
        _problem = problem;
        _kube = kube;
        _isLeader = isLeader;
        _log = log;
        _time = time ?? TimeProvider.System;
        _queue = new WorkQueue<(string, string)>(_time);
    }

    /// <summary>Status patches written so far.</summary>
    public long Writes { get; private set; }

    /// <inheritdoc />
    public void OnList(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, bool relist)
    {
        foreach (var item in items)
        {
            Check(item);
        }
    }

    /// <inheritdoc />
    public void OnEvent(WatchEventType type, IKubernetesObject<V1ObjectMeta> item)
    {
        if (type == WatchEventType.Deleted && item is CustomResource gone)
        {
            _wanted.TryRemove((gone.Metadata.NamespaceProperty ?? string.Empty, gone.Metadata.Name), out _);
            return;
        }

        if (type is WatchEventType.Added or WatchEventType.Modified)
        {
            Check(item);
        }
    }

    /// <summary>Writes statuses until cancelled.</summary>
    /// <param name="ct">Stops the writer.</param>
    /// <returns>A task that completes on cancellation.</returns>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            IReadOnlyList<(string Namespace, string Name)> batch;
            try
            {
                batch = await _queue.TakeAsync(16, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (batch.Count == 0)
            {
                return;
            }

            foreach (var id in batch)
            {
                try
                {
                    if (!_isLeader())
                    {
                        _queue.AddAfter(id, RetryDelay, ct);
                    }
                    else if (_wanted.TryGetValue(id, out var status))
                    {
                        await PatchAsync(id, status, ct).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    // Deleted meanwhile: nothing to report on.
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException)
                {
                    LogWriteFailed(_log, _kind.Kind, id.Namespace, id.Name, e.Message);
                    _queue.AddAfter(id, RetryDelay, ct);
                }
                finally
                {
                    _queue.Done(id);
                }
            }
        }
    }

    private void Check(IKubernetesObject<V1ObjectMeta> item)
    {
        if (item is not CustomResource r || string.IsNullOrEmpty(r.Metadata?.Name))
        {
            return;
        }

        var problem = _problem(r);
        var wanted = problem is null ? CrdStatus.Success : CrdStatus.Failure(problem);
        var id = (r.Metadata.NamespaceProperty ?? string.Empty, r.Metadata.Name);
        if (CrdStatus.Of(r) == wanted)
        {
            _wanted.TryRemove(id, out _);
            return;
        }

        _wanted[id] = wanted;
        _queue.Add(id);
    }

    private async Task PatchAsync((string Namespace, string Name) id, CrdStatus status, CancellationToken ct)
    {
        var patch = new V1Patch(status.MergePatch(), V1Patch.PatchType.MergePatch);
        if (id.Namespace.Length == 0)
        {
            await _kube.CustomObjects.PatchClusterCustomObjectStatusAsync(patch, _kind.Group, _kind.Version, _kind.Plural, id.Name, cancellationToken: ct).ConfigureAwait(false);
        }
        else
        {
            await _kube.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, _kind.Group, _kind.Version, id.Namespace, _kind.Plural, id.Name, cancellationToken: ct).ConfigureAwait(false);
        }

        Writes++;
        if (status.Outcome == "Failure")
        {
            LogFailure(_log, _kind.Kind, id.Namespace, id.Name, status.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Namespace}/{Name}: writing status failed, retrying: {Reason}")]
    private static partial void LogWriteFailed(ILogger log, string kind, string @namespace, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Namespace}/{Name}: status Failure: {Message}")]
    private static partial void LogFailure(ILogger log, string kind, string @namespace, string name, string message);
}
