using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>Links that must be up (<c>linux-link-up</c>); deleting the item leaves the link alone.</summary>
internal sealed class LinuxLinkUpDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxLinkUp>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-link-up";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.LinkUpPrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxLinkUp value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxLinkUp value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxLinkUp value) => nl.SetLinkUp(value.Interface);

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxLinkUp value)
    {
    }

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxLinkUp value) => nl.FindLink(value.Interface)?.IsUp == true;
}
