namespace Contiv.Store;

/// <summary>The broker's view of its connection to etcd.</summary>
public enum StoreConnectionState
{
    /// <summary>Created; no request has succeeded or failed yet.</summary>
    Connecting,

    /// <summary>etcd answered the last request or health probe.</summary>
    Connected,

    /// <summary>etcd is unreachable (or has no leader); requests are retried with bounded back-off.</summary>
    Disconnected,

    /// <summary>The broker was disposed.</summary>
    Closed,
}

/// <summary>Arguments of <see cref="IEtcdBroker.ConnectionStateChanged"/>.</summary>
/// <param name="Previous">State before the change.</param>
/// <param name="Current">State after the change.</param>
/// <param name="Reason">Why, in words (e.g. <c>etcd http://127.0.0.1:2379 unreachable: Connection refused</c>).</param>
/// <param name="Error">The failure that caused a transition to <see cref="StoreConnectionState.Disconnected"/>, if any.</param>
public sealed class ConnectionStateChangedEventArgs(StoreConnectionState Previous, StoreConnectionState Current, string Reason, Exception? Error) : EventArgs
{
    /// <summary>State before the change.</summary>
    public StoreConnectionState Previous { get; } = Previous;

    /// <summary>State after the change.</summary>
    public StoreConnectionState Current { get; } = Current;

    /// <summary>Why, in words.</summary>
    public string Reason { get; } = Reason;

    /// <summary>The failure behind a disconnect, if any.</summary>
    public Exception? Error { get; } = Error;

    /// <inheritdoc />
    public override string ToString() => $"{Previous} -> {Current}: {Reason}";
}
