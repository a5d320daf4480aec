using System.Text.Json.Serialization;

namespace Contiv.Agent.Config;

/// <summary>
/// <c>contiv.conf</c> (SPEC §7): the knobs of the shipped yaml with its values as defaults. Keys are
/// matched case-insensitively, so <c>STNVersion</c> and <c>stnVersion</c> both work.
/// </summary>
internal sealed class ContivConfig
{
    /// <summary>vxlan (supported), srv6, nooverlay.</summary>
    public string NodeToNodeTransport { get; set; } = "vxlan";

    /// <summary>Pods attach through TAP interfaces (VETH mode is not supported by this data plane).</summary>
    [JsonPropertyName("useTAPInterfaces")]
    public bool UseTapInterfaces { get; set; } = true;

    /// <summary>TAP version (2).</summary>
    public int TapInterfaceVersion { get; set; } = 2;

    /// <summary>TAP v2 RX ring size.</summary>
    public uint Tapv2RxRingSize { get; set; } = 256;

    /// <summary>TAP v2 TX ring size.</summary>
    public uint Tapv2TxRingSize { get; set; } = 256;

    /// <summary>GSO/checksum offload on TAPs (virtio-net headers).</summary>
    [JsonPropertyName("enableGSO")]
    public bool EnableGso { get; set; } = true;

    /// <summary>Interface RX mode (default/polling/interrupt/adaptive); advisory for this data plane.</summary>
    public string InterfaceRxMode { get; set; } = "default";

    /// <summary>TCP checksum offload disabled on pod interfaces.</summary>
    public bool TcpChecksumOffloadDisabled { get; set; } = true;

    /// <summary>MTU of pod interfaces (shipped 1450).</summary>
    public uint MtuSize { get; set; } = 1450;

    /// <summary>STN: steal the first NIC.</summary>
    [JsonPropertyName("stealFirstNIC")]
    public bool StealFirstNic { get; set; }

    /// <summary>STN: name of the NIC to steal.</summary>
    public string StealInterface { get; set; } = string.Empty;

    /// <summary>STN daemon socket.</summary>
    public string StnSocketFile { get; set; } = "/var/run/contiv/stn.sock";

    /// <summary>STN version.</summary>
    [JsonPropertyName("STNVersion")]
    public int StnVersion { get; set; } = 2;

    /// <summary>SNAT traffic leaving the cluster.</summary>
    [JsonPropertyName("natExternalTraffic")]
    public bool NatExternalTraffic { get; set; } = true;

    /// <summary>IP neighbour scanning.</summary>
    [JsonPropertyName("scanIPNeighbors")]
    public bool ScanIpNeighbors { get; set; } = true;

    /// <summary>Neighbour scan interval (minutes).</summary>
    [JsonPropertyName("ipNeighborScanInterval")]
    public int IpNeighborScanInterval { get; set; } = 1;

    /// <summary>Neighbour stale threshold (minutes).</summary>
    [JsonPropertyName("ipNeighborStaleThreshold")]
    public int IpNeighborStaleThreshold { get; set; } = 4;

    /// <summary>Packet trace on start.</summary>
    public bool EnablePacketTrace { get; set; }

    /// <summary>Route the service CIDR from the host to VPP over vpp1.</summary>
    [JsonPropertyName("routeServiceCIDRToVPP")]
    public bool RouteServiceCidrToVpp { get; set; }

    /// <summary>Ignore NodeConfig CRDs.</summary>
    public bool CrdNodeConfigurationDisabled { get; set; } = true;

    /// <summary>Main VRF ID.</summary>
    [JsonPropertyName("mainVRFID")]
    public uint MainVrfId { get; set; }

    /// <summary>Pod VRF ID.</summary>
    [JsonPropertyName("podVRFID")]
    public uint PodVrfId { get; set; } = 1;

    /// <summary>IPAM options (SPEC §2.1).</summary>
    public IpamConfig IpamConfig { get; set; } = new();

    /// <summary>Per-node sections; the entry whose nodeName equals this node wins over global options.</summary>
    public List<NodeConfigEntry> NodeConfig { get; set; } = [];

    /// <summary>Event loop options (controller.conf).</summary>
    public ControllerConfig Controller { get; set; } = new();

    /// <summary>Service options (service.conf).</summary>
    public Contiv.Agent.Services.ServiceConfig Service { get; set; } = new();

    /// <summary>Data plane connection options (the original's govpp.conf).</summary>
    public GovppConfig Govpp { get; set; } = new();
}

/// <summary>
/// <c>govpp</c> of contiv.conf: the agent's calls to the data plane's API. The original's govpp.conf waits 3 s for a
/// reply; 10 s here, because the lab runs many data planes on two cores, where a busy one can be slow without being
/// hung. A call past the timeout fails its operation (transient: the controller's retries apply).
/// </summary>
internal sealed class GovppConfig
{
    /// <summary>Deadline of one call to the data plane (a hung data plane fails the operation after it).</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary><c>ipamConfig</c> of contiv.conf.</summary>
internal sealed class IpamConfig
{
    /// <summary>Use the CNI IPAM plugin's result (not supported by this agent: reported as an error).</summary>
    [JsonPropertyName("useExternalIPAM")]
    public bool UseExternalIpam { get; set; }

    /// <summary>If set, overrides the four subnets (SPEC §2.2).</summary>
    [JsonPropertyName("contivCIDR")]
    public string ContivCidr { get; set; } = string.Empty;

    /// <summary>Service cluster IP range.</summary>
    [JsonPropertyName("serviceCIDR")]
    public string ServiceCidr { get; set; } = "10.96.0.0/12";

    /// <summary>Node IPs come from DHCP.</summary>
    [JsonPropertyName("nodeInterconnectDHCP")]
    public bool NodeInterconnectDhcp { get; set; }

    /// <summary>Cluster pod range.</summary>
    [JsonPropertyName("podSubnetCIDR")]
    public string PodSubnetCidr { get; set; } = "10.1.0.0/16";

    /// <summary>Per-node pod slice length.</summary>
    [JsonPropertyName("podSubnetOneNodePrefixLen")]
    public int PodSubnetOneNodePrefixLen { get; set; } = 24;

    /// <summary>VPP↔host range.</summary>
    [JsonPropertyName("vppHostSubnetCIDR")]
    public string VppHostSubnetCidr { get; set; } = "172.30.0.0/16";

    /// <summary>Per-node host slice length.</summary>
    [JsonPropertyName("vppHostSubnetOneNodePrefixLen")]
    public int VppHostSubnetOneNodePrefixLen { get; set; } = 24;

    /// <summary>Node interconnect range (shipped yaml value).</summary>
    [JsonPropertyName("nodeInterconnectCIDR")]
    public string NodeInterconnectCidr { get; set; } = "192.168.16.0/24";

    /// <summary>VXLAN BVI range.</summary>
    [JsonPropertyName("vxlanCIDR")]
    public string VxlanCidr { get; set; } = "192.168.30.0/24";

    /// <summary>Static default gateway of every node.</summary>
    public string DefaultGateway { get; set; } = string.Empty;
}

/// <summary>One <c>nodeConfig[]</c> entry.</summary>
internal sealed class NodeConfigEntry
{
    /// <summary>Node this entry applies to.</summary>
    public string NodeName { get; set; } = string.Empty;

    /// <summary>Main VPP interface (a Linux link taken over through AF_PACKET).</summary>
    [JsonPropertyName("mainVPPInterface")]
    public InterfaceConfig? MainVppInterface { get; set; }

    /// <summary>Further VPP interfaces.</summary>
    [JsonPropertyName("otherVPPInterfaces")]
    public List<InterfaceConfig> OtherVppInterfaces { get; set; } = [];

    /// <summary>STN interface for this node.</summary>
    public string StealInterface { get; set; } = string.Empty;

    /// <summary>Default gateway of this node.</summary>
    public string Gateway { get; set; } = string.Empty;

    /// <summary>SNAT traffic leaving the cluster on this node.</summary>
    public bool NatExternalTraffic { get; set; }
}

/// <summary>An interface of <c>nodeConfig[]</c>.</summary>
internal sealed class InterfaceConfig
{
    /// <summary>Interface name (the Linux link for AF_PACKET).</summary>
    public string InterfaceName { get; set; } = string.Empty;

    /// <summary>Static address "a.b.c.d/len"; empty = computed by IPAM.</summary>
    public string Ip { get; set; } = string.Empty;

    /// <summary>DHCP on this interface (not supported by this data plane).</summary>
    [JsonPropertyName("useDHCP")]
    public bool UseDhcp { get; set; }
}

/// <summary>controller.conf (SPEC §7): durations as "5s"/"500ms"/"1m" strings or nanoseconds.</summary>
internal sealed class ControllerConfig
{
    /// <summary>Retry failed transactions.</summary>
    public bool EnableRetry { get; set; } = true;

    /// <summary>First retry delay.</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan DelayRetry { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Maximum retry attempts.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Double the delay after every attempt.</summary>
    public bool EnableExpBackoffRetry { get; set; } = true;

    /// <summary>Deadline for the startup resync; afterwards liveness fails.</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan StartupResyncDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Periodic healing resync: a downstream resync every <see cref="PeriodicHealingInterval"/> that brings back
    /// configuration lost in the data plane or in pod namespaces behind the agent's back (a no-op transaction
    /// when nothing drifted, but it re-reads the whole data plane and every pod). Off by default, as shipped by
    /// the original (SPEC §7 controller.conf): an idle agent does no periodic work; the healing after a failed
    /// event (<see cref="DelayAfterErrorHealing"/>) and <c>POST /controller/resync</c> stay.
    /// </summary>
    public bool EnablePeriodicHealing { get; set; }

    /// <summary>Period of healing resyncs (modest: a resync of an unchanged node only reads the data plane back).</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan PeriodicHealingInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An event processing longer than this makes liveness fail (the loop is stuck).</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan StuckEventLimit { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Delay of the healing resync after a failed event.</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan DelayAfterErrorHealing { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>etcd probing interval.</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan RemoteDbProbingInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Record the event history.</summary>
    public bool RecordEventHistory { get; set; } = true;

    /// <summary>Age limit of history records (minutes).</summary>
    public int EventHistoryAgeLimit { get; set; } = 60;

    /// <summary>Records of the first N minutes are kept forever.</summary>
    public int PermanentlyRecordedInitPeriod { get; set; } = 10;
}
