namespace Contiv.Model.Vpp;

/// <summary>
/// Size limits of the data plane's gRPC API, shared by the server (contiv-vpp) and its client (the agent) so that
/// neither side refuses what the other may send. Sized to the largest real messages rather than left unbounded:
/// a full resync batch of 10 000 Services (about 40 000 NAT44 mappings with two locals each, ≈ 5 MB), a dump of
/// the same, or a NAT44 session dump of about 500 000 sessions (≈ 60 bytes each). A larger message fails with
/// gRPC status RESOURCE_EXHAUSTED naming the limit instead of exhausting memory.
/// </summary>
public static class DataplaneApiLimits
{
    /// <summary>Largest request or reply, in bytes (32 MiB).</summary>
    public const int MaxMessageBytes = 32 << 20;
}
