namespace Contiv.Store;

/// <summary>One key and its value as stored in etcd, with etcd's bookkeeping.</summary>
/// <param name="Key">The full key, e.g. <c>/vnf-agent/contiv-ksr/k8s/pod/web-1/namespace/default</c>.</param>
/// <param name="Value">The value as UTF-8 text (Contiv stores protobuf-JSON); empty for key-only listings.</param>
/// <param name="CreateRevision">Revision of the put that created the key (since its last deletion).</param>
/// <param name="ModRevision">Revision of the last put to the key; the token for <see cref="IEtcdBroker.CompareAndSwapAsync"/>.</param>
/// <param name="Version">Number of puts since the key was created (1 after the creating put).</param>
/// <param name="LeaseId">Lease the key is attached to, 0 for none.</param>
public sealed record KeyValue(string Key, string Value, long CreateRevision, long ModRevision, long Version, long LeaseId);

/// <summary>A consistent view of every key under a prefix at one revision.</summary>
/// <param name="Prefix">The listed prefix.</param>
/// <param name="Revision">The store revision the listing reflects; watch from <c>Revision + 1</c> to miss nothing.</param>
/// <param name="Items">Every key under the prefix at <paramref name="Revision"/>, in key order.</param>
public sealed record PrefixSnapshot(string Prefix, long Revision, IReadOnlyList<KeyValue> Items);

/// <summary>Outcome of a conditional write (put-if-absent, compare-and-swap, compare-and-delete).</summary>
/// <param name="Succeeded">True when the condition held and the write was applied.</param>
/// <param name="Revision">On success the revision of the write; otherwise the store revision when the condition was checked.</param>
/// <param name="Current">On failure the key's current entry (null when it does not exist); null on success.</param>
public sealed record CasResult(bool Succeeded, long Revision, KeyValue? Current);
