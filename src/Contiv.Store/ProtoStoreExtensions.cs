using System.Runtime.CompilerServices;
using Contiv.Model;
using Google.Protobuf;

namespace Contiv.Store;

/// <summary>A protobuf message read from etcd with its key and mod revision.</summary>
/// <typeparam name="T">The message type.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Value">The decoded message.</param>
/// <param name="ModRevision">The key's mod revision (for compare-and-swap).</param>
public sealed record StoredMessage<T>(string Key, T Value, long ModRevision)
    where T : IMessage<T>, new();

/// <summary>
/// Typed access to Contiv's values: protobuf messages stored as protobuf-JSON with the original
/// field names (<see cref="ProtoJson"/>), exactly like Contiv-VPP's agents wrote them.
/// </summary>
public static class ProtoStoreExtensions
{
    /// <summary>Reads and decodes a message; null when the key does not exist.</summary>
    /// <exception cref="FormatException">The stored value is not valid protobuf-JSON for <typeparamref name="T"/> (the message names the key).</exception>
    public static async Task<StoredMessage<T>?> GetProtoAsync<T>(this IEtcdBroker broker, string key, CancellationToken cancellationToken = default)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(broker);
        var kv = await broker.GetAsync(key, cancellationToken);
        return kv is null ? null : new StoredMessage<T>(kv.Key, kv.ParseValue<T>(), kv.ModRevision);
    }

    /// <summary>Lists and decodes every message under a prefix (paged, consistent at one revision).</summary>
    public static async IAsyncEnumerable<StoredMessage<T>> ListProtoAsync<T>(this IEtcdBroker broker, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(broker);
        await foreach (var kv in broker.ListAsync(prefix, cancellationToken))
        {
            yield return new StoredMessage<T>(kv.Key, kv.ParseValue<T>(), kv.ModRevision);
        }
    }

    /// <summary>Encodes and writes a message; returns the revision of the write.</summary>
    public static Task<long> PutProtoAsync(this IEtcdBroker broker, string key, IMessage message, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(broker);
        return broker.PutAsync(key, ProtoJson.Format(message), leaseId, cancellationToken);
    }

    /// <summary>Encodes and writes a message only when the key does not exist.</summary>
    public static Task<CasResult> PutProtoIfAbsentAsync(this IEtcdBroker broker, string key, IMessage message, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(broker);
        return broker.PutIfAbsentAsync(key, ProtoJson.Format(message), leaseId, cancellationToken);
    }

    /// <summary>Encodes and writes a message only when the key's mod revision is still <paramref name="expectedModRevision"/>.</summary>
    public static Task<CasResult> CompareAndSwapProtoAsync(this IEtcdBroker broker, string key, IMessage message, long expectedModRevision, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(broker);
        return broker.CompareAndSwapAsync(key, ProtoJson.Format(message), expectedModRevision, leaseId, cancellationToken);
    }

    /// <summary>A transaction operation that writes an encoded message.</summary>
    public static TxnOp PutProto(string key, IMessage message, long leaseId = 0) => TxnOp.Put(key, ProtoJson.Format(message), leaseId);

    /// <summary>Decodes an entry's value.</summary>
    /// <exception cref="FormatException">The value is not valid protobuf-JSON for <typeparamref name="T"/>; the message names the key.</exception>
    public static T ParseValue<T>(this KeyValue entry)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            return ProtoJson.Parse<T>(entry.Value);
        }
        catch (FormatException e)
        {
            throw new FormatException($"etcd key '{entry.Key}' (mod revision {entry.ModRevision}): {e.Message}", e);
        }
    }

    /// <summary>Decodes the new value of a put event.</summary>
    /// <exception cref="InvalidOperationException">The event is a delete (it has no new value).</exception>
    public static T ParseCurrent<T>(this StoreEvent change)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Kind == StoreEventKind.Delete)
        {
            throw new InvalidOperationException($"etcd key '{change.Key}' was deleted at revision {change.Revision}; a delete has no new value");
        }

        return change.Current.ParseValue<T>();
    }

    /// <summary>Decodes the value before the change, or returns default when etcd did not have it.</summary>
    public static T? ParsePrevious<T>(this StoreEvent change)
        where T : class, IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Previous?.ParseValue<T>();
    }
}
