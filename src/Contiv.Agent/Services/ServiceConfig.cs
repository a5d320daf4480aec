using System.Text.Json.Serialization;

namespace Contiv.Agent.Services;

/// <summary>
/// <c>service.conf</c> (SPEC §7), read from the <c>service:</c> section of contiv.conf (like
/// <c>controller:</c> for controller.conf); environment overrides as <c>CONTIV_service__&lt;key&gt;</c>.
/// </summary>
internal sealed class ServiceConfig
{
    /// <summary>Delete NAT sessions idle for longer than their timeout (shipped yaml: true).</summary>
    [JsonPropertyName("cleanupIdleNATSessions")]
    public bool CleanupIdleNatSessions { get; set; } = true;

    /// <summary>Idle time after which a TCP session is deleted, in minutes.</summary>
    [JsonPropertyName("tcpNATSessionTimeout")]
    public uint TcpNatSessionTimeout { get; set; } = 180;

    /// <summary>Idle time after which a UDP/ICMP session is deleted, in minutes; also the cleanup period.</summary>
    [JsonPropertyName("otherNATSessionTimeout")]
    public uint OtherNatSessionTimeout { get; set; } = 5;

    /// <summary>
    /// Load-balancing weight of a backend on this node; backends on other nodes weigh 1. Values above 1
    /// keep more service traffic on the node (no VXLAN hop).
    /// </summary>
    public uint ServiceLocalEndpointWeight { get; set; } = 1;

    /// <summary>Drop IP fragments in NAT instead of reassembling them virtually.</summary>
    [JsonPropertyName("disableNATVirtualReassembly")]
    public bool DisableNatVirtualReassembly { get; set; }
}
