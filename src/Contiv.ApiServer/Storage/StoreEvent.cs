using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Storage;

/// <summary>Type of a watch event.</summary>
public enum WatchEventType
{
    /// <summary>The object was created (or is sent as part of the initial state).</summary>
    Added,

    /// <summary>The object changed.</summary>
    Modified,

    /// <summary>The object was removed; the event carries its last state with the deletion's resourceVersion.</summary>
    Deleted,

    /// <summary>Progress marker carrying only a resourceVersion.</summary>
    Bookmark,
}

/// <summary>
/// One committed change. <see cref="Object"/> and <see cref="Previous"/> are frozen trees shared by all
/// readers and must never be modified.
/// </summary>
/// <param name="Type">What happened.</param>
/// <param name="ResourceVersion">The cluster-wide resourceVersion of the change.</param>
/// <param name="StoreKey">Storage key of the resource (<c>pods</c>, <c>leases.coordination.k8s.io</c>).</param>
/// <param name="Object">New state (last state for deletions; empty for bookmarks).</param>
/// <param name="Previous">State before a modification, used to turn selector transitions into ADDED/DELETED.</param>
public sealed record StoreEvent(WatchEventType Type, long ResourceVersion, string StoreKey, JsonObject Object, JsonObject? Previous);
