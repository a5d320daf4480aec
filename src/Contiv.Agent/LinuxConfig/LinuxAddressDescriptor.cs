using System.Net;
using Contiv.Agent.Addressing;
using Contiv.Linux;

namespace Contiv.Agent.LinuxConfig;

/// <summary>Addresses on Linux interfaces (<c>linux-address</c>).</summary>
internal sealed class LinuxAddressDescriptor(LinuxNamespaces namespaces) : LinuxDescriptor<LinuxAddress>(namespaces)
{
    /// <inheritdoc/>
    public override string Name => "linux-address";

    /// <inheritdoc/>
    public override string KeyPrefix => LinuxKeys.AddressPrefix;

    /// <inheritdoc/>
    protected override string DependsOn(LinuxAddress value) => value.DependsOn;

    /// <inheritdoc/>
    protected override string NetnsOf(LinuxAddress value) => value.Netns;

    /// <inheritdoc/>
    protected override void Apply(RtNetlink nl, LinuxAddress value)
    {
        var (ip, len) = Ip4Prefix.ParseAddressAndLength(value.Address);
        nl.ReplaceAddress(IndexOf(nl, value.Interface), IPAddress.Parse(ip.ToString()), len, skipDuplicateDetection: true);
    }

    /// <inheritdoc/>
    protected override void Remove(RtNetlink nl, LinuxAddress value)
    {
        var (ip, len) = Ip4Prefix.ParseAddressAndLength(value.Address);
        nl.DeleteAddress(IndexOf(nl, value.Interface), IPAddress.Parse(ip.ToString()), len);
    }

    /// <inheritdoc/>
    protected override bool Exists(RtNetlink nl, LinuxAddress value)
    {
        var index = FindIndex(nl, value.Interface);
        if (index is null)
        {
            return false;
        }

        var (ip, len) = Ip4Prefix.ParseAddressAndLength(value.Address);
        var want = IPAddress.Parse(ip.ToString());
        return nl.GetAddresses(index).Any(a => a.Address.Equals(want) && a.PrefixLength == len);
    }
}
