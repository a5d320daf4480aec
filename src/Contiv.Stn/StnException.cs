namespace Contiv.Stn;

/// <summary>Why an STN request failed; mapped to a gRPC status by the service.</summary>
internal enum StnError
{
    /// <summary>The interface does not exist or is not stolen.</summary>
    NotFound,

    /// <summary>The request itself is wrong (empty name …).</summary>
    InvalidArgument,

    /// <summary>Linux refused a step.</summary>
    Failed,
}

/// <summary>A failed STN request with a message naming the interface and the reason.</summary>
internal sealed class StnException(StnError error, string message) : Exception(message)
{
    /// <summary>The kind of failure.</summary>
    public StnError Error { get; } = error;
}
