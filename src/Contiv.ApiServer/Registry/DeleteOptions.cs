using System.Text.Json.Nodes;

namespace Contiv.ApiServer.Registry;

/// <summary>Options of a DELETE, from the body (<c>DeleteOptions</c>) and/or the query (the query wins).</summary>
public sealed record DeleteOptions
{
    /// <summary>Grace period; null means the object's default.</summary>
    public long? GracePeriodSeconds { get; init; }

    /// <summary>Precondition on the uid; mismatch gives 409.</summary>
    public string? PreconditionUid { get; init; }

    /// <summary>Precondition on the resourceVersion; mismatch gives 409.</summary>
    public string? PreconditionResourceVersion { get; init; }

    /// <summary>Validate only, change nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Reads options from a DeleteOptions JSON body (may be null).</summary>
    public static DeleteOptions FromBody(JsonObject? body) => body is null ? new DeleteOptions() : new DeleteOptions
    {
        GracePeriodSeconds = Json.Long(body["gracePeriodSeconds"]),
        PreconditionUid = Json.Str(body, "preconditions", "uid"),
        PreconditionResourceVersion = Json.Str(body, "preconditions", "resourceVersion"),
        DryRun = body["dryRun"] is JsonArray a && a.Count > 0,
    };
}
