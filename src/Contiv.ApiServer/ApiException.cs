using System.Text.Json.Nodes;

namespace Contiv.ApiServer;

/// <summary>
/// A request failure that the server answers with a Kubernetes <c>Status</c> object
/// (<c>reason</c>, <c>code</c>, <c>message</c>, optional <c>details</c>).
/// </summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates a failure with the HTTP code, the Kubernetes reason and a message.</summary>
    public ApiException(int code, string reason, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    /// <summary>HTTP status code, e.g. 404.</summary>
    public int Code { get; }

    /// <summary>Kubernetes reason, e.g. <c>NotFound</c>.</summary>
    public string Reason { get; }

    /// <summary>Optional <c>details</c> of the Status (name, group, kind, causes).</summary>
    public JsonObject? Details { get; }

    /// <summary>The Status object for this failure.</summary>
    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["details"] = Details?.DeepClone(),
        ["code"] = Code,
    };

    internal static JsonObject NameDetails(string name, string group, string kind) => new()
    {
        ["name"] = name,
        ["group"] = group.Length == 0 ? null : group,
        ["kind"] = kind,
    };

    internal static ApiException NotFound(string qualifiedResource, string name, string group = "")
        => new(404, "NotFound", $"{qualifiedResource} \"{name}\" not found", NameDetails(name, group, qualifiedResource.Split('.')[0]));

    internal static ApiException AlreadyExists(string qualifiedResource, string name, string group = "")
        => new(409, "AlreadyExists", $"{qualifiedResource} \"{name}\" already exists", NameDetails(name, group, qualifiedResource.Split('.')[0]));

    internal static ApiException Conflict(string qualifiedResource, string name, string why, string group = "")
        => new(409, "Conflict", $"Operation cannot be fulfilled on {qualifiedResource} \"{name}\": {why}", NameDetails(name, group, qualifiedResource.Split('.')[0]));

    internal static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    internal static ApiException Invalid(string kind, string name, string field, string causeReason, string detail, string group = "")
    {
        var message = $"{kind} \"{name}\" is invalid: {field}: {detail}";
        var details = NameDetails(name, group, kind);
        details["causes"] = new JsonArray(new JsonObject
        {
            ["reason"] = causeReason,
            ["message"] = detail,
            ["field"] = field,
        });
        return new ApiException(422, "Invalid", message, details);
    }

    internal static ApiException Expired(string message) => new(410, "Expired", message);

    internal static ApiException MethodNotAllowed(string verb, string kind)
        => new(405, "MethodNotAllowed", $"{verb} is not supported on resources of kind \"{kind}\"");

    internal static ApiException UnknownPath()
        => new(404, "NotFound", "the server could not find the requested resource");
}
