namespace Contiv.Agent.Services;

/// <summary>
/// Which data plane interfaces NAT44 runs on (SPEC §3.1): frontends are where clients' packets to a service
/// address enter (NAT "outside": out2in DNAT), backends where backends' replies enter (NAT "inside":
/// in2out un-DNAT). An interface may be both. The default interface is neither: it has the post-routing
/// SNAT output feature instead.
/// </summary>
/// <param name="Frontends">Frontend interface names, sorted.</param>
/// <param name="Backends">Backend interface names, sorted.</param>
/// <param name="DefaultInterface">Interface with the SNAT output feature; null without natExternalTraffic or gateway.</param>
internal sealed record NatInterfaceRoles(ValueArray<string> Frontends, ValueArray<string> Backends, string? DefaultInterface);
