using Contiv.Agent.Dataplane;
using Contiv.Agent.IpNet;
using Contiv.Agent.LinuxConfig;
using Contiv.Agent.Scheduler;

namespace Contiv.Agent;

/// <summary>
/// Every kind of item the agent configures: one line per descriptor. A new descriptor is a new file (under
/// <c>Dataplane/</c> or <c>LinuxConfig/</c>) plus its line here; docs/agent.md states the contract.
/// </summary>
internal static class AgentDescriptors
{
    /// <summary>Registers the data plane and Linux descriptors with <paramref name="scheduler"/>.</summary>
    public static void RegisterAll(KvScheduler scheduler, IDataplaneConfigApi dataplane, LinuxNamespaces linux)
    {
        scheduler.Register(new VppVrfDescriptor(dataplane));
        scheduler.Register(new VppInterfaceDescriptor(dataplane));
        scheduler.Register(new VppRouteDescriptor(dataplane));
        scheduler.Register(new VppArpDescriptor(dataplane));
        scheduler.Register(new VppBridgeDomainDescriptor(dataplane));
        scheduler.Register(new VppL2FibDescriptor(dataplane, id => id == IpNetConfig.VxlanBdId ? IpNetConfig.VxlanBd : null));
        scheduler.Register(new VppNat44GlobalDescriptor(dataplane));
        scheduler.Register(new VppNat44InterfaceDescriptor(dataplane));
        scheduler.Register(new VppNat44AddressDescriptor(dataplane));
        scheduler.Register(new VppNat44StaticMappingDescriptor(dataplane));
        scheduler.Register(new VppNat44IdentityMappingDescriptor(dataplane));
        scheduler.Register(new VppAclDescriptor(dataplane));
        scheduler.Register(new Stn.VppStnRuleDescriptor(dataplane));
        scheduler.Register(new Stn.VppProxyArpDescriptor(dataplane));
        scheduler.Register(new LinuxLinkUpDescriptor(linux));
        scheduler.Register(new LinuxAddressDescriptor(linux));
        scheduler.Register(new LinuxRouteDescriptor(linux));
        scheduler.Register(new LinuxArpDescriptor(linux));
    }
}
