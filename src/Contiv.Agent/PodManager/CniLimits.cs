namespace Contiv.Agent.PodManager;

/// <summary>Size limits of the CNI server.</summary>
internal static class CniLimits
{
    /// <summary>
    /// Largest CNI request accepted (2 MiB): the runtime's stdin, which contiv-cni caps at 1 MiB, plus an
    /// IPAM result and the CNI args; gRPC's default (4 MiB) would only let a client make the agent buffer more.
    /// </summary>
    public const int MaxRequestBytes = 2 << 20;
}
