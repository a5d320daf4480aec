namespace Contiv.Cni.Protocol;

/// <summary>
/// Error codes of a CNI error result. 0–99 are the specification's (1–11, 50, 51); 100 and above
/// are contiv-cni's own.
/// </summary>
public static class CniErrorCode
{
    /// <summary>Incompatible CNI version (also: the command does not exist in the requested version).</summary>
    public const int IncompatibleVersion = 1;

    /// <summary>Unsupported field in the network configuration; the message names key and value.</summary>
    public const int UnsupportedField = 2;

    /// <summary>Container unknown or does not exist (e.g. its network namespace is gone); no DEL needed.</summary>
    public const int UnknownContainer = 3;

    /// <summary>Invalid or missing required environment variables; the message names them.</summary>
    public const int InvalidEnvironment = 4;

    /// <summary>I/O failure, e.g. reading stdin.</summary>
    public const int IoFailure = 5;

    /// <summary>Failed to decode content (empty stdin, invalid JSON, malformed prevResult).</summary>
    public const int DecodingFailure = 6;

    /// <summary>Invalid network configuration (missing or mistyped field).</summary>
    public const int InvalidNetworkConfig = 7;

    /// <summary>Transient failure; try again later (the agent is not reachable).</summary>
    public const int TryAgainLater = 11;

    /// <summary>STATUS: the plugin cannot serve ADD (agent down or not ready).</summary>
    public const int PluginNotAvailable = 50;

    /// <summary>STATUS: not available, and existing containers may have limited connectivity.</summary>
    public const int PluginNotAvailableLimitedConnectivity = 51;

    /// <summary>The agent's gRPC call failed with an error other than "unavailable".</summary>
    public const int AgentCallFailed = 100;

    /// <summary>The agent answered with a failure (<c>CNIReply.result</c> != 0).</summary>
    public const int AgentRejected = 101;

    /// <summary>The agent's reply cannot be turned into a CNI result (no interface, bad address).</summary>
    public const int AgentReplyInvalid = 102;

    /// <summary>The delegated IPAM plugin failed or returned something unusable.</summary>
    public const int IpamFailed = 103;

    /// <summary>CHECK found the container's interface, address or route missing or different.</summary>
    public const int CheckMismatch = 104;

    /// <summary>The container's network namespace could not be inspected.</summary>
    public const int NetnsInspectionFailed = 105;

    /// <summary>The attachment record directory (<c>dataDir</c>) could not be read or written.</summary>
    public const int StateStoreFailed = 106;

    /// <summary>The network configuration on stdin is larger than <see cref="NetworkConfig.MaxStdinBytes"/> (1 MiB).</summary>
    public const int StdinTooLarge = 107;

    /// <summary>
    /// An unexpected failure inside the plugin (a bug, or the runtime environment broke): libcni's
    /// <c>ErrInternal</c>. The message names the exception; the details carry its stack.
    /// </summary>
    public const int Internal = 999;
}
