namespace Contiv.Telemetry.Collection;

/// <summary>An agent's REST API gave no usable answer; the message names the URL and the reason.</summary>
public sealed class AgentUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentUnreachableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public AgentUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public AgentUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a URL and a reason.</summary>
    public AgentUnreachableException(string url, string reason, Exception? innerException = null)
        : base($"agent at {url}: {reason}", innerException)
    {
        Url = url;
    }

    /// <summary>The URL that failed.</summary>
    public string Url { get; } = string.Empty;
}
