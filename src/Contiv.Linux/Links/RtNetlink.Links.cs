using System.Globalization;
using System.Net.NetworkInformation;
using Contiv.Linux.Interop;
using Contiv.Linux.Netlink;

namespace Contiv.Linux;

/// <summary>Links (network interfaces).</summary>
public sealed partial class RtNetlink
{
    private const int MaxLinkNameLength = 15; // IFNAMSIZ - 1

    /// <summary>All links of the namespace, ordered by index.</summary>
    public IReadOnlyList<Link> GetLinks()
    {
        lock (_gate)
        {
            var links = new List<Link>();
            _writer.Begin(Nl.RTM_GETLINK, Nl.NLM_F_DUMP).Write(new IfInfoMsg());
            Dump("link list", "all", (type, payload) =>
            {
                if (type == Nl.RTM_NEWLINK)
                {
                    links.Add(ParseLink(payload));
                }
            }, links.Clear);
            links.Sort((a, b) => a.Index.CompareTo(b.Index));
            return links;
        }
    }

    /// <summary>The link with index <paramref name="index"/>.</summary>
    /// <exception cref="NetlinkException">No such link (<see cref="NetlinkException.IsNotFound"/>).</exception>
    public Link GetLink(int index)
    {
        lock (_gate)
        {
            Link? link = null;
            Begin(Nl.RTM_GETLINK, 0).Write(new IfInfoMsg { Index = index });
            Execute("link get", () => "#" + index.ToString(CultureInfo.InvariantCulture), (type, payload) =>
            {
                if (type == Nl.RTM_NEWLINK)
                {
                    link = ParseLink(payload);
                }
            });
            return link ?? throw new NetlinkException("link get", "#" + index.ToString(CultureInfo.InvariantCulture), NamespaceName, Errno.ENODEV);
        }
    }

    /// <summary>The link named <paramref name="name"/>.</summary>
    /// <exception cref="NetlinkException">No such link (<see cref="NetlinkException.IsNotFound"/>).</exception>
    public Link GetLink(string name)
        => FindLink(name) ?? throw new NetlinkException("link get", name, NamespaceName, Errno.ENODEV);

    /// <summary>The link named <paramref name="name"/>, or null when there is none.</summary>
    public Link? FindLink(string name)
    {
        ValidateLinkName(name);
        lock (_gate)
        {
            Link? link = null;
            Begin(Nl.RTM_GETLINK, 0).Write(new IfInfoMsg());
            _writer.AttributeString(Nl.IFLA_IFNAME, name);
            var error = _socket.Transact(_writer.Finish(_socket.NextSeq()), dump: false, (type, payload) =>
            {
                if (type == Nl.RTM_NEWLINK)
                {
                    link = ParseLink(payload);
                }
            }, out var kernelMessage);
            return error switch
            {
                0 => link,
                Errno.ENODEV => null,
                _ => throw new NetlinkException("link get", name, NamespaceName, error, kernelMessage),
            };
        }
    }

    /// <summary>Index of the link named <paramref name="name"/>.</summary>
    /// <exception cref="NetlinkException">No such link.</exception>
    public int GetLinkIndex(string name) => GetLink(name).Index;

    /// <summary>Sets a link administratively up (<c>ip link set dev X up</c>).</summary>
    public void SetLinkUp(int index) => SetFlags(index, LinkFlags.Up, LinkFlags.Up, "link set up");

    /// <summary>Sets a link administratively up by name.</summary>
    public void SetLinkUp(string name) => SetLinkUp(GetLinkIndex(name));

    /// <summary>Sets a link administratively down.</summary>
    public void SetLinkDown(int index) => SetFlags(index, LinkFlags.None, LinkFlags.Up, "link set down");

    /// <summary>Sets a link administratively down by name.</summary>
    public void SetLinkDown(string name) => SetLinkDown(GetLinkIndex(name));

    /// <summary>Sets the MTU of a link.</summary>
    public void SetMtu(int index, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeU32(Nl.IFLA_MTU, (uint)mtu);
            Execute("link set mtu " + mtu.ToString(CultureInfo.InvariantCulture), () => LinkLabel(index));
        }
    }

    /// <summary>
    /// Sets a link's transmit queue length (<c>ip link set … txqueuelen</c>); for a TAP this is the
    /// number of frames the kernel queues for the reader before it drops.
    /// </summary>
    public void SetTxQueueLength(int index, int frames)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frames);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeU32(Nl.IFLA_TXQLEN, (uint)frames);
            Execute("link set txqueuelen " + frames.ToString(CultureInfo.InvariantCulture), () => LinkLabel(index));
        }
    }

    /// <summary>
    /// Sets the largest GSO packet the kernel builds for a link (<c>ip link set … gso_max_size</c>):
    /// TCP then hands the device super-frames of at most this many bytes.
    /// </summary>
    public void SetGsoMaxSize(int index, int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeU32(Nl.IFLA_GSO_MAX_SIZE, (uint)bytes);
            Execute("link set gso_max_size " + bytes.ToString(CultureInfo.InvariantCulture), () => LinkLabel(index));
        }
    }

    /// <summary>Sets the MAC address of a link.</summary>
    public void SetMacAddress(int index, PhysicalAddress mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.Attribute(Nl.IFLA_ADDRESS, mac.GetAddressBytes());
            Execute("link set address " + LinkAddress.Format(mac), () => LinkLabel(index));
        }
    }

    /// <summary>Renames a link (the kernel may refuse while it is up: EBUSY).</summary>
    public void RenameLink(int index, string newName)
    {
        ValidateLinkName(newName);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeString(Nl.IFLA_IFNAME, newName);
            Execute("link set name " + newName, () => LinkLabel(index));
        }
    }

    /// <summary>
    /// Moves a link into another namespace, optionally renaming it on the way (one message, so the
    /// name never clashes in the target). Its index there may differ; look it up by name afterwards.
    /// </summary>
    public void MoveLink(int index, NetworkNamespace target, string? newName = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (newName is not null)
        {
            ValidateLinkName(newName);
        }

        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeU32(Nl.IFLA_NET_NS_FD, (uint)target.Fd);
            if (newName is not null)
            {
                _writer.AttributeString(Nl.IFLA_IFNAME, newName);
            }

            Execute("link set netns " + target.DisplayName + (newName is null ? string.Empty : " name " + newName), () => LinkLabel(index));
            GC.KeepAlive(target);
        }
    }

    /// <summary>Moves a link into the network namespace of process <paramref name="pid"/>, optionally renaming it.</summary>
    public void MoveLinkToProcess(int index, int pid, string? newName = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        if (newName is not null)
        {
            ValidateLinkName(newName);
        }

        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeU32(Nl.IFLA_NET_NS_PID, (uint)pid);
            if (newName is not null)
            {
                _writer.AttributeString(Nl.IFLA_IFNAME, newName);
            }

            Execute("link set netns pid " + pid.ToString(CultureInfo.InvariantCulture), () => LinkLabel(index));
        }
    }

    /// <summary>
    /// Creates a veth pair <paramref name="name"/> (in this namespace) and <paramref name="peerName"/>
    /// (directly in <paramref name="peerNamespace"/>, or here when null). Both ends start down.
    /// </summary>
    public void CreateVeth(string name, string peerName, NetworkNamespace? peerNamespace = null, int? mtu = null)
    {
        ValidateLinkName(name);
        ValidateLinkName(peerName);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL).Write(new IfInfoMsg());
            _writer.AttributeString(Nl.IFLA_IFNAME, name);
            if (mtu is int m)
            {
                _writer.AttributeU32(Nl.IFLA_MTU, (uint)m);
            }

            var info = _writer.BeginNested(Nl.IFLA_LINKINFO);
            _writer.AttributeString(Nl.IFLA_INFO_KIND, "veth");
            var data = _writer.BeginNested(Nl.IFLA_INFO_DATA);
            var peer = _writer.BeginNested(Nl.VETH_INFO_PEER);
            _writer.Write(new IfInfoMsg());
            _writer.AttributeString(Nl.IFLA_IFNAME, peerName);
            if (mtu is int pm)
            {
                _writer.AttributeU32(Nl.IFLA_MTU, (uint)pm);
            }

            if (peerNamespace is not null)
            {
                _writer.AttributeU32(Nl.IFLA_NET_NS_FD, (uint)peerNamespace.Fd);
            }

            _writer.EndNested(peer);
            _writer.EndNested(data);
            _writer.EndNested(info);
            Execute("link add veth", () => $"{name} peer {peerName}{(peerNamespace is null ? string.Empty : " netns " + peerNamespace.DisplayName)}");
            GC.KeepAlive(peerNamespace);
        }
    }

    /// <summary>Creates a bridge (down, no ports).</summary>
    public void CreateBridge(string name)
    {
        ValidateLinkName(name);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL).Write(new IfInfoMsg());
            _writer.AttributeString(Nl.IFLA_IFNAME, name);
            var info = _writer.BeginNested(Nl.IFLA_LINKINFO);
            _writer.AttributeString(Nl.IFLA_INFO_KIND, "bridge");
            _writer.EndNested(info);
            Execute("link add bridge", () => name);
        }
    }

    /// <summary>Enslaves a link to a bridge (<c>ip link set X master BR</c>).</summary>
    public void SetMaster(int index, int masterIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(masterIndex);
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeU32(Nl.IFLA_MASTER, (uint)masterIndex);
            Execute("link set master", () => $"{LinkLabel(index)} master {LinkLabel(masterIndex)}");
        }
    }

    /// <summary>Releases a link from its bridge (<c>ip link set X nomaster</c>).</summary>
    public void ClearMaster(int index)
    {
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index });
            _writer.AttributeU32(Nl.IFLA_MASTER, 0);
            Execute("link set nomaster", () => LinkLabel(index));
        }
    }

    /// <summary>Deletes a link (for a veth, both ends go).</summary>
    /// <exception cref="NetlinkException">No such link (<see cref="NetlinkException.IsNotFound"/>).</exception>
    public void DeleteLink(int index)
    {
        lock (_gate)
        {
            Begin(Nl.RTM_DELLINK, 0).Write(new IfInfoMsg { Index = index });
            Execute("link del", () => "#" + index.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Deletes a link by name.</summary>
    /// <exception cref="NetlinkException">No such link (<see cref="NetlinkException.IsNotFound"/>).</exception>
    public void DeleteLink(string name)
    {
        ValidateLinkName(name);
        lock (_gate)
        {
            Begin(Nl.RTM_DELLINK, 0).Write(new IfInfoMsg());
            _writer.AttributeString(Nl.IFLA_IFNAME, name);
            Execute("link del", () => name);
        }
    }

    private void SetFlags(int index, LinkFlags flags, LinkFlags change, string operation)
    {
        lock (_gate)
        {
            Begin(Nl.RTM_NEWLINK, 0).Write(new IfInfoMsg { Index = index, Flags = (uint)flags, Change = (uint)change });
            Execute(operation, () => LinkLabel(index));
        }
    }

    private static void ValidateLinkName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxLinkNameLength || name.Contains('/', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"invalid link name '{name}' (at most {MaxLinkNameLength} characters, no '/' or spaces)", nameof(name));
        }
    }

    /// <summary>Decodes an RTM_NEWLINK / RTM_DELLINK payload.</summary>
    internal static Link ParseLink(ReadOnlySpan<byte> payload)
    {
        var header = System.Runtime.InteropServices.MemoryMarshal.Read<IfInfoMsg>(payload);
        string name = string.Empty;
        int mtu = 0, txq = 0;
        int? master = null, parent = null, netnsId = null;
        PhysicalAddress? mac = null;
        var oper = OperState.Unknown;
        string? kind = null;
        LinkStatistics? stats = null;
        var reader = new AttributeReader(payload[Math.Min(16, payload.Length)..]);
        while (reader.Next(out var type, out var value))
        {
            switch (type)
            {
                case Nl.IFLA_IFNAME:
                    name = AttributeValue.String(value);
                    break;
                case Nl.IFLA_MTU:
                    mtu = (int)AttributeValue.U32(value);
                    break;
                case Nl.IFLA_TXQLEN:
                    txq = (int)AttributeValue.U32(value);
                    break;
                case Nl.IFLA_MASTER:
                    master = (int)AttributeValue.U32(value);
                    break;
                case Nl.IFLA_LINK:
                    parent = (int)AttributeValue.U32(value);
                    break;
                case Nl.IFLA_LINK_NETNSID:
                    netnsId = (int)AttributeValue.U32(value);
                    break;
                case Nl.IFLA_ADDRESS:
                    mac = new PhysicalAddress(value.ToArray());
                    break;
                case Nl.IFLA_OPERSTATE:
                    oper = (OperState)AttributeValue.U8(value);
                    break;
                case Nl.IFLA_LINKINFO:
                    var info = new AttributeReader(value);
                    while (info.Next(out var infoType, out var infoValue))
                    {
                        if (infoType == Nl.IFLA_INFO_KIND)
                        {
                            kind = AttributeValue.String(infoValue);
                        }
                    }

                    break;
                case Nl.IFLA_STATS64 when value.Length >= 72:
                    stats = new LinkStatistics(
                        RxPackets: AttributeValue.U64(value),
                        TxPackets: AttributeValue.U64(value[8..]),
                        RxBytes: AttributeValue.U64(value[16..]),
                        TxBytes: AttributeValue.U64(value[24..]),
                        RxErrors: AttributeValue.U64(value[32..]),
                        TxErrors: AttributeValue.U64(value[40..]),
                        RxDropped: AttributeValue.U64(value[48..]),
                        TxDropped: AttributeValue.U64(value[56..]),
                        Multicast: AttributeValue.U64(value[64..]));
                    break;
                default:
                    break;
            }
        }

        return new Link
        {
            Index = header.Index,
            Name = name,
            Flags = (LinkFlags)header.Flags,
            OperState = oper,
            Mtu = mtu,
            MacAddress = mac,
            MasterIndex = master is 0 ? null : master,
            ParentIndex = parent is null || parent == header.Index ? null : parent,
            LinkNetnsId = netnsId,
            Kind = kind,
            DeviceType = header.Type,
            TxQueueLength = txq,
            Statistics = stats,
        };
    }
}
