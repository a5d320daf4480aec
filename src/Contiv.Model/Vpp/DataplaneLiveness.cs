namespace Contiv.Model.Vpp;

/// <summary>
/// The data plane's liveness socket, next to its API socket (<see cref="PathFor"/>), shared by contiv-vpp (the server)
/// and the agent (the client). On connect the server sends its instance identity (the API's
/// <c>VersionReply.instance_id</c>) and a newline; after that it echoes every byte it receives. The connection stays
/// open and silent while both sides live: the agent learns of the data plane's death from the end of the connection
/// (the kernel closes it with the process) and of a hung data plane from an unanswered ping, without a timer on either
/// side and without keeping an HTTP/2 connection to the API open — which costs the API server a thread-pool work item a
/// second (Kestrel's per-connection heartbeat), in every node of an idle cluster.
/// </summary>
public static class DataplaneLiveness
{
    /// <summary>Appended to the API socket's path.</summary>
    public const string Suffix = ".live";

    /// <summary>Longest instance line the server sends (newline included).</summary>
    public const int MaxInstanceLineBytes = 256;

    /// <summary>The liveness socket of the data plane whose API socket is <paramref name="apiSocket"/>.</summary>
    public static string PathFor(string apiSocket)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiSocket);
        return apiSocket + Suffix;
    }
}
