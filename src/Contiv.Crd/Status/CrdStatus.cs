using System.Text.Json;
using Contiv.Crd.Kube;

namespace Contiv.Crd.Status;

/// <summary>The status contiv-crd writes on the objects it mirrors: <c>{status: Success|Failure, message}</c>.</summary>
/// <param name="Outcome">"Success" or "Failure".</param>
/// <param name="Message">Why it failed (empty on success).</param>
internal sealed record CrdStatus(string Outcome, string Message)
{
    /// <summary>The object was converted and queued for etcd.</summary>
    public static CrdStatus Success { get; } = new("Success", string.Empty);

    /// <summary>The object cannot be mirrored.</summary>
    /// <param name="message">Why, naming the field and the value.</param>
    public static CrdStatus Failure(string message) => new("Failure", message);

    /// <summary>The status an object carries now, or null when it has none.</summary>
    /// <param name="r">The object.</param>
    public static CrdStatus? Of(CustomResource r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Status.ValueKind != JsonValueKind.Object || !r.Status.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var message = r.Status.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : string.Empty;
        return new CrdStatus(s.GetString()!, message);
    }

    /// <summary>The merge patch of the status subresource (an empty message removes the field).</summary>
    public string MergePatch() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["status"] = new Dictionary<string, object?> { ["status"] = Outcome, ["message"] = Message.Length == 0 ? null : Message },
    });
}
