using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Contiv.Store;

// Leases: grant, keep-alive, revoke, and the self-refreshing StoreLease handle.
public sealed partial class EtcdBroker
{
    /// <inheritdoc />
    public async Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        if (seconds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "lease TTL must be at least 1 second");
        }

        var resp = await RunAsync($"grant lease of {seconds} s", RetryPolicy.Always,
            o => _lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = seconds }, o).ResponseAsync, cancellationToken);
        if (!string.IsNullOrEmpty(resp.Error))
        {
            throw new StoreException($"grant lease of {seconds} s failed: etcd: {resp.Error}");
        }

        return resp.ID;
    }

    /// <inheritdoc />
    public async Task<TimeSpan> KeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var ttl = await RunAsync($"keep lease {leaseId} alive", RetryPolicy.Always, async o =>
        {
            using var call = _lease.LeaseKeepAlive(o);
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = leaseId }, o.CancellationToken);
            await call.RequestStream.CompleteAsync();
            if (!await call.ResponseStream.MoveNext(o.CancellationToken))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"keep-alive stream for lease {leaseId} ended without an answer"));
            }

            return call.ResponseStream.Current.TTL;
        }, cancellationToken);
        if (ttl <= 0)
        {
            throw new LeaseExpiredException(leaseId);
        }

        return TimeSpan.FromSeconds(ttl);
    }

    /// <inheritdoc />
    public async Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        try
        {
            await RunAsync($"revoke lease {leaseId}", RetryPolicy.Always,
                o => _lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = leaseId }, o).ResponseAsync, cancellationToken);
        }
        catch (LeaseExpiredException)
        {
            // already gone: revoking is idempotent
        }
    }

    /// <inheritdoc />
    public async Task<StoreLease> AcquireLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var id = await GrantLeaseAsync(ttl, cancellationToken);
        return new StoreLease(this, id, TimeSpan.FromSeconds(Math.Ceiling(ttl.TotalSeconds)), (lease, e) =>
        {
            if (e is LeaseExpiredException)
            {
                _log.LogWarning("etcd {Endpoints}: lease {Lease} lost: {Error}", EndpointList, lease, e.Message);
            }
            else
            {
                _log.LogInformation("etcd {Endpoints}: keep-alive of lease {Lease} failed, retrying: {Error}", EndpointList, lease, e.Message);
            }
        });
    }
}
