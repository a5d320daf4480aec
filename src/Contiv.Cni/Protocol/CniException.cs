namespace Contiv.Cni.Protocol;

/// <summary>
/// A failure that ends the invocation with an error result: <see cref="Code"/> is printed as the
/// error JSON's <c>code</c>, the message as <c>msg</c>, <see cref="Details"/> as <c>details</c>.
/// </summary>
public sealed class CniException : Exception
{
    /// <summary>Creates an error with a CNI error code (see <see cref="CniErrorCode"/>).</summary>
    public CniException(int code, string message, string? details = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Details = details;
    }

    /// <summary>The CNI error code.</summary>
    public int Code { get; }

    /// <summary>Optional longer explanation (the spec's <c>details</c>).</summary>
    public string? Details { get; }
}
