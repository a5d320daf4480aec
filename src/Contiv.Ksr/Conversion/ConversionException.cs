namespace Contiv.Ksr.Conversion;

/// <summary>
/// A Kubernetes object that cannot be turned into its KSR record (counted as an <c>ArgErrors</c>
/// statistic and skipped, like Contiv's reflectors do with objects of the wrong shape).
/// </summary>
internal sealed class ConversionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConversionException()
    {
    }

    /// <summary>Creates the exception with a message naming the object and the bad value.</summary>
    /// <param name="message">The message.</param>
    public ConversionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="inner">The cause.</param>
    public ConversionException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
