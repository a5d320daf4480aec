using Contiv.Agent.Controller;
using Contiv.Agent.Ipam;
using Contiv.Model.Cni;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Contiv.Agent.PodManager;

/// <summary>
/// The CNI gRPC server (<c>RemoteCNI</c>, SPEC §1.7): turns Add/Delete into blocking AddPod/DeletePod
/// events and answers with one interface (its MAC and MTU as the pod's namespace sees them), the pod
/// IP /32 with the pod gateway, and a default route.
/// Failures are gRPC errors whose text names the pod and the problem; nothing half-configured stays.
/// </summary>
/// <remarks>Inputs are checked by <see cref="CniInputRules"/> before anything is done.</remarks>
internal sealed class RemoteCniService(EventLoop loop, ILogger<RemoteCniService> log, IServiceProvider services) : RemoteCNI.RemoteCNIBase
{
    /// <summary>Timeout of one CNI request inside the agent.</summary>
    public static TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <inheritdoc/>
    public override async Task<CNIReply> Add(CNIRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pod = ParsePod(request, "Add");
        if (string.IsNullOrEmpty(request.ContainerId))
        {
            throw Fail(StatusCode.InvalidArgument, $"CNI Add for pod {pod}: container_id is empty");
        }

        if (CniInputRules.ContainerIdRefusal(request.ContainerId) is { } badId)
        {
            throw Fail(StatusCode.InvalidArgument, $"CNI Add for pod {pod}: {badId}");
        }

        // Internal type, so resolved here rather than through the (public) constructor.
        var rules = services.GetService(typeof(CniInputRules)) as CniInputRules
            ?? throw new InvalidOperationException("CniInputRules is not registered: the CNI server would accept any namespace");
        if (rules.NetnsRefusal(request.NetworkNamespace) is { } badNetns)
        {
            throw Fail(StatusCode.InvalidArgument, $"CNI Add for pod {pod}: {badNetns}");
        }

        var ifName = string.IsNullOrEmpty(request.InterfaceName) ? "eth0" : request.InterfaceName;
        if (CniInputRules.InterfaceNameRefusal(ifName) is { } badIf)
        {
            throw Fail(StatusCode.InvalidArgument, $"CNI Add for pod {pod}: {badIf}");
        }

        AddPod ev;
        try
        {
            ev = await RunAddAsync(pod, request, ifName, context.CancellationToken).ConfigureAwait(false);
        }
        catch (ObsoletePodException)
        {
            log.LogInformation("pod {Pod} re-added with container {Container}: deleting the obsolete sandbox first", pod, request.ContainerId);
            await RunAsync(new DeletePod(pod), context.CancellationToken).ConfigureAwait(false);
            ev = await RunAddAsync(pod, request, ifName, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            throw Fail(StatusCode.Internal, $"CNI Add for pod {pod} (container {request.ContainerId}): {e.Message}");
        }

        var link = PodInterfaceReader.Read(request.NetworkNamespace, ifName, request.ContainerId, log);
        var reply = PodCheckService.SuccessReply(ifName, request.NetworkNamespace, link, ev.PodIp ?? string.Empty, ev.Gateway);
        log.LogInformation("CNI Add {Pod}: {Ip} via {Gateway}, {IfName} {Mac}", pod, ev.PodIp, ev.Gateway, ifName, link.Mac);
        return reply;
    }

    /// <inheritdoc/>
    public override async Task<CNIReply> Delete(CNIRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pod = ParsePod(request, "Delete");
        try
        {
            await RunAsync(new DeletePod(pod, request.ContainerId ?? string.Empty), context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            // What could be removed is removed (the transaction was retried), but reporting success would leave the
            // rest (e.g. the TAP) behind for good: the runtime retries a failed Delete, which removes what is left.
            log.LogWarning("CNI Delete {Pod} (container {Container}) failed: {Error}", pod, request.ContainerId, e.Message);
            throw Fail(StatusCode.Internal, $"CNI Delete for pod {pod} (container {request.ContainerId}) failed, retry it: {e.Message}");
        }

        log.LogInformation("CNI Delete {Pod} (container {Container})", pod, request.ContainerId);
        return new CNIReply { Result = 0 };
    }

    /// <summary>Pod identity from <c>K8S_POD_NAME</c>/<c>K8S_POD_NAMESPACE</c> in the <c>;</c>-separated CNI args.</summary>
    public static PodId? TryParsePodId(string? cniArgs)
    {
        string? name = null, ns = null;
        foreach (var part in (cniArgs ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var k = part[..eq];
            var v = part[(eq + 1)..];
            if (k == "K8S_POD_NAME")
            {
                name = v;
            }
            else if (k == "K8S_POD_NAMESPACE")
            {
                ns = v;
            }
        }

        return string.IsNullOrEmpty(name) ? null : new PodId(name, string.IsNullOrEmpty(ns) ? "default" : ns);
    }

    private static PodId ParsePod(CNIRequest request, string op)
    {
        var pod = TryParsePodId(request.ExtraArguments)
            ?? throw Fail(StatusCode.InvalidArgument, $"CNI {op} (container {request.ContainerId}): K8S_POD_NAME missing in CNI args '{request.ExtraArguments}'");
        return CniInputRules.PodRefusal(pod.Name, pod.Namespace) is { } refusal
            ? throw Fail(StatusCode.InvalidArgument, $"CNI {op} (container {request.ContainerId}): {refusal}")
            : pod;
    }

    private async Task<AddPod> RunAddAsync(PodId pod, CNIRequest request, string ifName, CancellationToken ct)
    {
        var ev = new AddPod(pod, request.ContainerId, request.NetworkNamespace, ifName);
        await RunAsync(ev, ct).ConfigureAwait(false);
        return ev;
    }

    private async Task RunAsync(AgentEvent ev, CancellationToken ct)
    {
        try
        {
            loop.Push(ev);
        }
        catch (InvalidOperationException e)
        {
            throw Fail(StatusCode.Unavailable, $"{ev}: {e.Message}");
        }

        if (!loop.IsReady && !loop.StartupResyncDone)
        {
            log.LogInformation("{Event} waits for the startup resync", ev);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        await ev.Completion.WaitAsync(timeout.Token).ConfigureAwait(false);
    }

    private static RpcException Fail(StatusCode code, string message) => new(new Status(code, message), message);
}
