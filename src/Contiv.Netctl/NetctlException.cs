namespace Contiv.Netctl;

/// <summary>A failure reported to the user as <c>contiv-netctl: MESSAGE</c> with exit code 1.</summary>
internal sealed class NetctlException : Exception
{
    public NetctlException()
    {
    }

    public NetctlException(string message)
        : base(message)
    {
    }

    public NetctlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
