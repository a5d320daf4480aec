using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvcc = Mvccpb;

namespace Contiv.Store;

// Reads, writes, conditional writes and transactions.
public sealed partial class EtcdBroker
{
    /// <inheritdoc />
    public async Task<long> GetRevisionAsync(CancellationToken cancellationToken = default)
    {
        var resp = await RunAsync("get revision", RetryPolicy.Always,
            o => _kv.RangeAsync(new RangeRequest { Key = ProbeKey }, o).ResponseAsync, cancellationToken);
        return resp.Header.Revision;
    }

    /// <inheritdoc />
    public async Task<KeyValue?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = KeyBytes(key);
        var resp = await RunAsync($"get '{key}'", RetryPolicy.Always,
            o => _kv.RangeAsync(new RangeRequest { Key = k }, o).ResponseAsync, cancellationToken);
        return resp.Kvs.Count == 0 ? null : ToKeyValue(resp.Kvs[0]);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<KeyValue> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in ListPagesAsync(prefix, keysOnly: false, cancellationToken))
        {
            foreach (var kv in page.Kvs)
            {
                yield return ToKeyValue(kv);
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> ListKeysAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in ListPagesAsync(prefix, keysOnly: true, cancellationToken))
        {
            foreach (var kv in page.Kvs)
            {
                yield return kv.Key.ToStringUtf8();
            }
        }
    }

    /// <inheritdoc />
    public async Task<PrefixSnapshot> SnapshotAsync(string prefix, CancellationToken cancellationToken = default)
    {
        // A compaction past the listing revision between two pages fails the listing; start over.
        for (var attempt = 1; ; attempt++)
        {
            var items = new List<KeyValue>();
            long revision = 0;
            try
            {
                await foreach (var page in ListPagesAsync(prefix, keysOnly: false, cancellationToken))
                {
                    revision = page.Header.Revision;
                    foreach (var kv in page.Kvs)
                    {
                        items.Add(ToKeyValue(kv));
                    }
                }

                return new PrefixSnapshot(prefix, revision, items);
            }
            catch (StoreException e) when (attempt < 5 && e.InnerException is RpcException { StatusCode: StatusCode.OutOfRange })
            {
                _log.LogInformation("etcd: history compacted while listing prefix {Prefix} (attempt {Attempt}); listing again", prefix, attempt);
            }
        }
    }

    // Pages through a prefix at the revision of the first page. Each page is one retried request.
    private async IAsyncEnumerable<RangeResponse> ListPagesAsync(string prefix, bool keysOnly, [EnumeratorCancellation] CancellationToken ct)
    {
        var (start, end) = PrefixRange(prefix);
        long revision = 0;
        var from = start;
        while (true)
        {
            var req = new RangeRequest
            {
                Key = from,
                RangeEnd = end,
                Limit = _options.ListPageSize,
                Revision = revision,
                KeysOnly = keysOnly,
            };
            var resp = await RunAsync($"list prefix '{prefix}'", RetryPolicy.Always, o => _kv.RangeAsync(req, o).ResponseAsync, ct);
            if (revision == 0)
            {
                revision = resp.Header.Revision;
            }
            else
            {
                // Pages after the first are read at the first page's revision; report that one.
                resp.Header.Revision = revision;
            }

            yield return resp;
            if (!resp.More || resp.Kvs.Count == 0)
            {
                yield break;
            }

            // Next page starts right after the last key of this one.
            var last = resp.Kvs[^1].Key;
            from = ByteString.CopyFrom([.. last.Span, 0]);
        }
    }

    /// <inheritdoc />
    public async Task<long> PutAsync(string key, string value, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var req = new PutRequest { Key = KeyBytes(key), Value = ByteString.CopyFromUtf8(value), Lease = leaseId };
        var resp = await RunAsync($"put '{key}'", RetryPolicy.Always, o => _kv.PutAsync(req, o).ResponseAsync, cancellationToken);
        return resp.Header.Revision;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var req = new DeleteRangeRequest { Key = KeyBytes(key) };
        var resp = await RunAsync($"delete '{key}'", RetryPolicy.Always, o => _kv.DeleteRangeAsync(req, o).ResponseAsync, cancellationToken);
        return resp.Deleted > 0;
    }

    /// <inheritdoc />
    public async Task<long> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            throw new ArgumentException("delete prefix: the prefix must not be empty (that would delete every key in etcd)", nameof(prefix));
        }

        var (start, end) = PrefixRange(prefix);
        var req = new DeleteRangeRequest { Key = start, RangeEnd = end };
        var resp = await RunAsync($"delete prefix '{prefix}'", RetryPolicy.Always, o => _kv.DeleteRangeAsync(req, o).ResponseAsync, cancellationToken);
        return resp.Deleted;
    }

    /// <inheritdoc />
    public Task<CasResult> PutIfAbsentAsync(string key, string value, long leaseId = 0, CancellationToken cancellationToken = default)
        => CompareAndSwapAsync(key, value, 0, leaseId, cancellationToken);

    /// <inheritdoc />
    public async Task<CasResult> CompareAndSwapAsync(string key, string value, long expectedModRevision, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedModRevision);
        var k = KeyBytes(key);
        var req = new TxnRequest();
        req.Compare.Add(new Compare { Key = k, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expectedModRevision });
        req.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = k, Value = ByteString.CopyFromUtf8(value), Lease = leaseId } });
        req.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = k } });
        var what = expectedModRevision == 0 ? $"put-if-absent '{key}'" : $"compare-and-swap '{key}' at mod revision {expectedModRevision}";
        var (resp, ambiguous) = await RunConditionalAsync(what, req, cancellationToken);
        if (resp.Succeeded)
        {
            return new CasResult(true, resp.Header.Revision, null);
        }

        var current = FirstRange(resp);

        // An earlier attempt may have been applied without us seeing the answer; then the key now
        // holds our value and the retry's guard failed because of our own write.
        if (ambiguous && current is not null && current.Value == value && current.ModRevision > expectedModRevision)
        {
            return new CasResult(true, current.ModRevision, null);
        }

        return new CasResult(false, resp.Header.Revision, current);
    }

    /// <inheritdoc />
    public async Task<CasResult> CompareAndDeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expectedModRevision);
        var k = KeyBytes(key);
        var req = new TxnRequest();
        req.Compare.Add(new Compare { Key = k, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expectedModRevision });
        req.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = k } });
        req.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = k } });
        var (resp, ambiguous) = await RunConditionalAsync($"compare-and-delete '{key}' at mod revision {expectedModRevision}", req, cancellationToken);
        if (resp.Succeeded)
        {
            return new CasResult(true, resp.Header.Revision, null);
        }

        var current = FirstRange(resp);
        if (ambiguous && current is null)
        {
            return new CasResult(true, resp.Header.Revision, null); // our earlier attempt deleted it
        }

        return new CasResult(false, resp.Header.Revision, current);
    }

    /// <inheritdoc />
    public async Task<TxnResult> TxnAsync(IReadOnlyList<TxnCompare> conditions, IReadOnlyList<TxnOp> onSuccess, IReadOnlyList<TxnOp>? onFailure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(onSuccess);
        var req = new TxnRequest();
        foreach (var c in conditions)
        {
            req.Compare.Add(ToCompare(c));
        }

        foreach (var op in onSuccess)
        {
            req.Success.Add(ToRequestOp(op));
        }

        foreach (var op in onFailure ?? [])
        {
            req.Failure.Add(ToRequestOp(op));
        }

        var what = $"transaction ({conditions.Count} conditions, {onSuccess.Count}/{onFailure?.Count ?? 0} ops)";
        var resp = await RunAsync(what, RetryPolicy.OnlyUnsent, o => _kv.TxnAsync(req, o).ResponseAsync, cancellationToken);
        var reads = new List<KeyValue?>();
        foreach (var r in resp.Responses)
        {
            if (r.ResponseCase == ResponseOp.ResponseOneofCase.ResponseRange)
            {
                reads.Add(r.ResponseRange.Kvs.Count == 0 ? null : ToKeyValue(r.ResponseRange.Kvs[0]));
            }
        }

        return new TxnResult(resp.Succeeded, resp.Header.Revision, reads);
    }

    // Conditional writes are retried like idempotent ones, remembering whether an attempt failed
    // after it may have reached etcd so the caller can recognise its own earlier write.
    private async Task<(TxnResponse Response, bool Ambiguous)> RunConditionalAsync(string what, TxnRequest req, CancellationToken ct)
    {
        var ambiguous = false;
        var resp = await RunAsync(what, RetryPolicy.Always, async o =>
        {
            try
            {
                return await _kv.TxnAsync(req, o);
            }
            catch (Exception e) when (!EtcdErrors.CertainlyNotSent(e)
                && (EtcdErrors.IsTransient(e) || e is RpcException { StatusCode: StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled }))
            {
                // Internal/Unknown/Cancelled: also what a call torn down by a channel replacement ends
                // with (RunAsync retries those); it may have been applied.
                ambiguous = true;
                throw;
            }
        }, ct);
        return (resp, ambiguous);
    }

    private static KeyValue? FirstRange(TxnResponse resp)
    {
        foreach (var r in resp.Responses)
        {
            if (r.ResponseCase == ResponseOp.ResponseOneofCase.ResponseRange)
            {
                return r.ResponseRange.Kvs.Count == 0 ? null : ToKeyValue(r.ResponseRange.Kvs[0]);
            }
        }

        return null;
    }

    private static Compare ToCompare(TxnCompare c) => c switch
    {
        TxnCompare.ModRevisionCompare m => new Compare { Key = KeyBytes(m.Key), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = m.ModRevision },
        TxnCompare.VersionCompare v => new Compare
        {
            Key = KeyBytes(v.Key),
            Target = Compare.Types.CompareTarget.Version,
            Result = v.Equal ? Compare.Types.CompareResult.Equal : Compare.Types.CompareResult.NotEqual,
            Version = v.Version,
        },
        TxnCompare.ValueCompare v => new Compare { Key = KeyBytes(v.Key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(v.Value) },
        _ => throw new ArgumentException($"transaction: unsupported condition {c}", nameof(c)),
    };

    private static RequestOp ToRequestOp(TxnOp op) => op switch
    {
        TxnOp.PutOp p => new RequestOp { RequestPut = new PutRequest { Key = KeyBytes(p.Key), Value = ByteString.CopyFromUtf8(p.Value), Lease = p.LeaseId } },
        TxnOp.DeleteOp { IsPrefix: false } d => new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = KeyBytes(d.Key) } },
        TxnOp.DeleteOp d => DeletePrefixOp(d.Key),
        TxnOp.GetOp g => new RequestOp { RequestRange = new RangeRequest { Key = KeyBytes(g.Key) } },
        _ => throw new ArgumentException($"transaction: unsupported operation {op}", nameof(op)),
    };

    private static RequestOp DeletePrefixOp(string prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            throw new ArgumentException("transaction: delete-prefix with an empty prefix would delete every key in etcd", nameof(prefix));
        }

        var (start, end) = PrefixRange(prefix);
        return new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = start, RangeEnd = end } };
    }

    internal static KeyValue ToKeyValue(Mvcc.KeyValue kv)
        => new(kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    private static ByteString KeyBytes(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ArgumentException("etcd key must not be empty", nameof(key));
        }

        return ByteString.CopyFromUtf8(key);
    }

    /// <summary>[start, end) of every key beginning with <paramref name="prefix"/>; the empty prefix means every key.</summary>
    internal static (ByteString Start, ByteString End) PrefixRange(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var zero = ByteString.CopyFrom(0);
        if (prefix.Length == 0)
        {
            return (zero, zero); // etcd: key "\0" with range end "\0" = all keys
        }

        var bytes = System.Text.Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return (ByteString.CopyFromUtf8(prefix), ByteString.CopyFrom(bytes, 0, i + 1));
            }
        }

        return (ByteString.CopyFromUtf8(prefix), zero);
    }
}
