using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Registry;

/// <summary>A consistent list: the matching objects (frozen, do not modify) and the store resourceVersion.</summary>
/// <param name="Items">Objects sorted by namespace and name.</param>
/// <param name="ResourceVersion">The cluster-wide resourceVersion at the moment of the list.</param>
/// <param name="Continue">Continue token when the list was cut by a limit, else null.</param>
public sealed record ListResult(IReadOnlyList<JsonObject> Items, long ResourceVersion, string? Continue);
