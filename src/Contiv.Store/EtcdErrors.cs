using System.Net.Sockets;
using Grpc.Core;

namespace Contiv.Store;

/// <summary>Classifies gRPC failures from etcd: transient (retry) or not, and whether a request can have reached etcd.</summary>
internal static class EtcdErrors
{
    /// <summary>True for failures that a retry after back-off can fix: unreachable, no leader, timeouts, broken streams.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RpcException r => r.StatusCode switch
        {
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted => true,
            // etcd forgets its simple tokens when it restarts; dotnet-etcd drops the cached token on
            // this answer, so the retry authenticates again.
            StatusCode.Unauthenticated => IsStaleToken(r),
            // A connection that dies mid-call surfaces as Internal/Unknown with an I/O cause.
            StatusCode.Internal or StatusCode.Unknown => r.Status.DebugException is IOException or HttpRequestException or SocketException
                || r.Status.Detail.Contains("etcdserver: leader changed", StringComparison.Ordinal)
                || r.Status.Detail.Contains("etcdserver: no leader", StringComparison.Ordinal),
            _ => false,
        },
        IOException or HttpRequestException or SocketException => true,
        _ => false,
    };

    /// <summary>True for transient failures that mean etcd is unreachable (not e.g. a stale auth token).</summary>
    public static bool IsConnectionFailure(Exception e) => IsTransient(e) && e is not RpcException { StatusCode: StatusCode.Unauthenticated };

    private static bool IsStaleToken(RpcException r)
        => r.Status.Detail.Contains("invalid auth token", StringComparison.Ordinal)
            || r.Status.Detail.Contains("auth token expired", StringComparison.Ordinal)
            || r.Status.Detail.Contains("revision of auth store is old", StringComparison.Ordinal);

    /// <summary>
    /// True when the request certainly never reached etcd (no connection could be made), so even a
    /// non-idempotent request may be retried.
    /// </summary>
    public static bool CertainlyNotSent(Exception e)
    {
        if (e is RpcException { StatusCode: StatusCode.Unauthenticated } stale && IsStaleToken(stale))
        {
            return true; // rejected before it was applied
        }

        if (e is not RpcException { StatusCode: StatusCode.Unavailable } r)
        {
            return false;
        }

        if (r.Status.DebugException is ChannelReplacedException replaced)
        {
            return replaced.NotSent;
        }

        if (r.Status.Detail.Contains("Error connecting to subchannel", StringComparison.Ordinal)
            || r.Status.Detail.Contains("No address resolved", StringComparison.Ordinal))
        {
            return true;
        }

        for (var inner = r.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A one-line description of a failure.</summary>
    public static string Describe(Exception e) => e switch
    {
        RpcException r => $"{r.StatusCode}: {r.Status.Detail}{(r.Status.DebugException is { } d ? $" ({d.GetBaseException().Message})" : string.Empty)}",
        _ => e.Message,
    };

    /// <summary>Maps a non-transient etcd error to a store exception naming the operation.</summary>
    public static StoreException Translate(string what, RpcException e)
    {
        if (e.Status.Detail.Contains("requested lease not found", StringComparison.Ordinal))
        {
            return new LeaseExpiredException($"{what}: etcd: {e.Status.Detail}", e);
        }

        return new StoreException($"{what} failed: etcd answered {e.StatusCode}: {e.Status.Detail}", e);
    }
}

/// <summary>A call failed because the broker replaced (and disposed) its gRPC channel under it.</summary>
internal sealed class ChannelReplacedException(Exception inner) : Exception("the gRPC channel was replaced: " + inner.Message, inner)
{
    /// <summary>
    /// True when the call never started: the disposed channel refused to create it (bare, or as
    /// gRPC's "Error starting gRPC call" with the ObjectDisposedException as its cause).
    /// </summary>
    public bool NotSent { get; } = inner is ObjectDisposedException
        || (inner is RpcException { StatusCode: StatusCode.Internal } r
            && r.Status.Detail.StartsWith("Error starting gRPC call", StringComparison.Ordinal)
            && r.Status.DebugException is ObjectDisposedException);
}
