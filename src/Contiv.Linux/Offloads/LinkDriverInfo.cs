using System.Text;
using Contiv.Linux.Interop;

namespace Contiv.Linux;

/// <summary>
/// The kernel driver of a link and the bus address of its device (<c>ethtool -i</c>): STN records them
/// before it takes a NIC so that the device can be bound back to its driver.
/// </summary>
/// <param name="Driver">Driver name, e.g. <c>virtio_net</c>, <c>e1000</c>, <c>veth</c>.</param>
/// <param name="BusInfo">Bus address, e.g. a PCI address <c>0000:00:08.0</c>; empty for virtual links.</param>
public sealed record LinkDriverInfo(string Driver, string BusInfo)
{
    private const nuint SIOCETHTOOL = 0x8946;
    private const uint EthtoolGetDriverInfo = 0x3;

    // struct ethtool_drvinfo: cmd (u32), driver[32], version[32], fw_version[32], bus_info[32],
    // erom_version[32], reserved2[12], five u32 counters = 196 bytes.
    private const int DriverInfoSize = 196;
    private const int DriverOffset = 4;
    private const int BusInfoOffset = 4 + (3 * 32);

    /// <summary>Reads the driver info of <paramref name="linkName"/> in <paramref name="ns"/> (null: the calling thread's namespace).</summary>
    /// <exception cref="NetlinkException">The link does not exist (ENODEV) or the driver does not answer ETHTOOL_GDRVINFO (EOPNOTSUPP).</exception>
    public static LinkDriverInfo Get(NetworkNamespace? ns, string linkName)
    {
        ArgumentException.ThrowIfNullOrEmpty(linkName);
        if (linkName.Length > 15)
        {
            throw new ArgumentException($"invalid link name '{linkName}' (at most 15 characters)", nameof(linkName));
        }

        LinkDriverInfo Run() => Query(linkName, ns?.DisplayName);
        return ns is null ? Run() : ns.Run(Run);
    }

    private static unsafe LinkDriverInfo Query(string linkName, string? nsName)
    {
        var fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NetlinkException("driver info", linkName, nsName, Libc.LastErrno);
        }

        try
        {
            var info = stackalloc byte[DriverInfoSize];
            var infoSpan = new Span<byte>(info, DriverInfoSize);
            infoSpan.Clear();
            *(uint*)info = EthtoolGetDriverInfo;
            var ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            Encoding.ASCII.GetBytes(linkName, new Span<byte>(ifr, 15));
            *(byte**)(ifr + 16) = info;
            if (Libc.Ioctl(fd, SIOCETHTOOL, ifr) != 0)
            {
                throw new NetlinkException("driver info", linkName, nsName, Libc.LastErrno);
            }

            return new LinkDriverInfo(CString(infoSpan.Slice(DriverOffset, 32)), CString(infoSpan.Slice(BusInfoOffset, 32)));
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }
}
