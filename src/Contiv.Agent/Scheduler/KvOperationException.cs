namespace Contiv.Agent.Scheduler;

/// <summary>A failed create/update/delete; <see cref="Transient"/> tells the scheduler whether a retry may help.</summary>
internal sealed class KvOperationException(string message, bool transient = true, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when retrying the same operation later may succeed.</summary>
    public bool Transient { get; } = transient;
}
