using System.Net;
using Contiv.Agent.Addressing;
using Contiv.Linux;
using LinuxRouteMessage = Contiv.Linux.Route;

namespace Contiv.Agent.LinuxConfig;

/// <summary>Routes in Linux namespaces (<c>linux-route</c>).</summary>
internal sealed class LinuxRouteDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxRoute>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-route";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.RoutePrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxRoute value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxRoute value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxRoute value) => nl.ReplaceRoute(ToNetlink(nl, value, IndexOf(nl, value.Interface)));

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxRoute value) => nl.DeleteRoute(ToNetlink(nl, value, IndexOf(nl, value.Interface)));

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxRoute value)
    {
        var index = FindIndex(nl, value.Interface);
        if (index is null)
        {
            return false;
        }

        var want = ToNetlink(nl, value, index.Value);
        return nl.GetRoutes().Any(r => r.Destination.Equals(want.Destination) && r.OutputInterface == index
            && Equals(r.Gateway, want.Gateway));
    }

    private static LinuxRouteMessage ToNetlink(RtNetlink nl, LinuxRoute value, int index)
    {
        var p = Ip4Prefix.Parse(value.Destination, "route destination");
        return new LinuxRouteMessage
        {
            Destination = new IPNetwork(IPAddress.Parse(p.Network.ToString()), p.Length),
            Gateway = value.Gateway.Length == 0 ? null : IPAddress.Parse(value.Gateway),
            OutputInterface = index,
            Scope = value.ScopeLink ? NetworkScope.Link : null,
        };
    }
}
