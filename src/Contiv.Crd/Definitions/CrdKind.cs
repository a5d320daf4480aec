namespace Contiv.Crd.Definitions;

/// <summary>One custom resource kind contiv-crd registers and follows (SPEC §1.4).</summary>
/// <param name="Kind">Kind, e.g. <c>NodeConfig</c>.</param>
/// <param name="Group">API group, e.g. <c>nodeconfig.contiv.vpp</c>.</param>
/// <param name="Version">Served version (<c>v1</c>).</param>
/// <param name="Plural">Resource name, e.g. <c>nodeconfigs</c>.</param>
/// <param name="File">Its definition in <c>deploy/crds/</c> (embedded in the executable).</param>
internal sealed record CrdKind(string Kind, string Group, string Version, string Plural, string File)
{
    /// <summary>The CustomResourceDefinition's name, <c>{plural}.{group}</c>.</summary>
    public string CrdName => Plural + "." + Group;

    /// <summary><c>{group}/{version}</c>.</summary>
    public string ApiVersion => Group + "/" + Version;

    /// <summary>NodeConfig (<c>nodeconfig.contiv.vpp/v1</c>).</summary>
    public static CrdKind NodeConfig { get; } = new("NodeConfig", "nodeconfig.contiv.vpp", "v1", "nodeconfigs", "nodeconfig.yaml");

    /// <summary>CustomNetwork (<c>contivpp.io/v1</c>).</summary>
    public static CrdKind CustomNetwork { get; } = new("CustomNetwork", "contivpp.io", "v1", "customnetworks", "customnetwork.yaml");

    /// <summary>ExternalInterface (<c>contivpp.io/v1</c>).</summary>
    public static CrdKind ExternalInterface { get; } = new("ExternalInterface", "contivpp.io", "v1", "externalinterfaces", "externalinterface.yaml");

    /// <summary>ServiceFunctionChain (<c>contivpp.io/v1</c>).</summary>
    public static CrdKind ServiceFunctionChain { get; } = new("ServiceFunctionChain", "contivpp.io", "v1", "servicefunctionchains", "servicefunctionchain.yaml");

    /// <summary>CustomConfiguration (<c>contivpp.io/v1</c>).</summary>
    public static CrdKind CustomConfiguration { get; } = new("CustomConfiguration", "contivpp.io", "v1", "customconfigurations", "customconfiguration.yaml");

    /// <summary>TelemetryReport (<c>telemetry.contiv.vpp/v1</c>), output only.</summary>
    public static CrdKind TelemetryReport { get; } = new("TelemetryReport", "telemetry.contiv.vpp", "v1", "telemetryreports", "telemetryreport.yaml");

    /// <summary>Every kind, in registration order.</summary>
    public static IReadOnlyList<CrdKind> All { get; } = [NodeConfig, CustomNetwork, ExternalInterface, ServiceFunctionChain, CustomConfiguration, TelemetryReport];
}
